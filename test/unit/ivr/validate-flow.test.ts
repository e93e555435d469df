import { describe, expect, it } from 'vitest';
import { describeProblem, validateFlow, type FlowProblem } from '../../../src/ivr/validate-flow.js';
import { renderTemplate, renderUrl } from '../../../src/ivr/template.js';
import { mkFlow } from './helpers.js';

const problemsOf = (input: unknown): string[] => {
  const r = validateFlow(input);
  if (r.ok) return [];
  return r.error.problems.map((p: FlowProblem) => describeProblem(p));
};

describe('flow validation', () => {
  it('accepts a valid flow and applies defaults', () => {
    const r = validateFlow(mkFlow({ a: { kind: 'gather', var: 'x', max: 4, next: 'b' }, b: { kind: 'hangup' } }));
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.flow.lang).toBe('en');
      expect(r.flow.maxSteps).toBe(200);
      expect(r.flow.nodes.a).toMatchObject({ min: 1, retries: 2, firstDigitTimeoutMs: 5000, invalidPrompts: ['invalid-entry'] });
    }
  });

  it('names unknown target nodes, missing start and onError', () => {
    expect(problemsOf(mkFlow({
      a: { kind: 'menu', prompts: ['m'], choices: [{ key: '1', next: 'b' }, { key: '2', next: 'ghost' }], onFailure: 'nope' },
      b: { kind: 'hangup' },
    }, { start: 'zzz', onError: 'err' }))).toEqual(expect.arrayContaining([
      "start: start node 'zzz' does not exist",
      "onError: onError node 'err' does not exist",
      "node 'a' choices[1].next: goes to unknown node 'ghost'",
      "node 'a' onFailure: goes to unknown node 'nope'",
    ]));
  });

  it('reports unreachable nodes', () => {
    expect(problemsOf(mkFlow({ a: { kind: 'hangup' }, orphan: { kind: 'play', prompts: ['x'], next: 'a' } })))
      .toEqual(["node 'orphan': is unreachable from the start node"]);
  });

  it('nodes reachable only from onError count as reachable', () => {
    expect(problemsOf(mkFlow({ a: { kind: 'hangup' }, sorry: { kind: 'play', prompts: ['s'], next: 'a' } }, { onError: 'sorry' }))).toEqual([]);
  });

  it('rejects loops without caller input, accepts loops through a menu or gather', () => {
    const loop = problemsOf(mkFlow({
      a: { kind: 'play', prompts: ['x'], next: 'b' },
      b: { kind: 'branch', rules: [{ when: { var: 'v', op: 'exists' }, next: 'c' }], otherwise: 'a' },
      c: { kind: 'set-var', set: { v: '1' }, next: 'c' },
    }));
    expect(loop).toHaveLength(2);
    expect(loop).toEqual(expect.arrayContaining([
      "node 'c': loop without caller input through c (add a gather or menu node to the loop)",
      expect.stringMatching(/^node '[ab]': loop without caller input through a, b \(add a gather or menu node to the loop\)$/),
    ]));
    expect(problemsOf(mkFlow({
      m: { kind: 'menu', prompts: ['m'], choices: [{ key: '1', next: 'p' }, { key: '2', next: 'end' }] },
      p: { kind: 'play', prompts: ['x'], next: 'm' },
      end: { kind: 'hangup' },
    }))).toEqual([]);
  });

  it('translates schema errors into node-level problems', () => {
    const msgs = problemsOf(mkFlow({
      a: { kind: 'teleport', next: 'b' },
      b: { kind: 'gather', var: 'x', min: 5, max: 2, pattern: '([', next: 'c' },
      c: { kind: 'menu', prompts: ['m'], choices: [{ key: '1', next: 'a' }, { key: '1', next: 'b' }, { key: 'A', next: 'b' }] },
      d: { kind: 'branch', rules: [{ when: { var: 'x', op: 'eq' }, next: 'a' }], otherwise: 'a' },
      e: { kind: 'http-lookup', url: 'ftp://x', as: 'r', next: 'a' },
    } as never));
    expect(msgs).toEqual(expect.arrayContaining([
      expect.stringMatching(/^node 'a' kind: Invalid discriminator value/),
      "node 'b' min: min (5) is greater than max (2)",
      expect.stringMatching(/^node 'b' pattern: invalid regular expression/),
      "node 'c' choices[1].key: key '1' is used twice",
      "node 'c' choices[2].key: one DTMF key: 0-9 * #",
      "node 'd' rules[0].when.value: operator 'eq' needs a value",
      "node 'e' url: url must start with http://, https:// or a {{variable}} holding the base URL",
    ]));
  });

  it('keeps the zod issues for API clients', () => {
    const r = validateFlow({ id: 'bad id!', name: '', start: 'a', nodes: {} });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.issues.map((i) => i.path.join('.'))).toEqual(expect.arrayContaining(['id', 'name', 'nodes']));
  });
});

describe('templates', () => {
  it('substitutes variables, unknown ones are empty', () => {
    expect(renderTemplate('Hi {{ name }}, {{missing}}!', { name: 'Li' })).toBe('Hi Li, !');
  });
  it('encodes caller values in URLs but keeps a leading base URL variable', () => {
    expect(renderUrl('{{base}}/p/{{no}}?q={{q}}', { base: 'http://h:1/api', no: '1/2', q: 'a&b=c' })).toBe('http://h:1/api/p/1%2F2?q=a%26b%3Dc');
  });
});
