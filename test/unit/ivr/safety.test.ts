import { describe, expect, it } from 'vitest';
import { runFlow } from '../../../src/ivr/session.js';
import type { Task } from '../../../src/ivr/task.js';
import { captureLogger, FakeChannel } from './fakes.js';
import { mkDeps, mkFlow } from './helpers.js';

describe('IVR session safety', () => {
  // A loop through a menu passes validation (the caller can leave it), so the step limit guards at run time.
  const loopFlow = (maxSteps?: number) => mkFlow({
    m: { kind: 'menu', prompts: ['main'], choices: [{ key: '1', next: 'info' }, { key: '0', next: 'bye' }], retries: 0 },
    info: { kind: 'play', prompts: ['info'], next: 'm' },
    bye: { kind: 'hangup' },
  }, maxSteps ? { maxSteps } : {});

  it('stops a runaway session at maxSteps with the error prompt and a hangup', async () => {
    const ch = new FakeChannel({ inputs: Array(100).fill('1') });
    const r = await runFlow(loopFlow(9), ch, mkDeps());
    expect(r.outcome).toBe('max-steps');
    expect(r.steps).toBe(9);
    expect(r.path).toEqual(['m', 'info', 'm', 'info', 'm', 'info', 'm', 'info', 'm']);
    expect(ch.played.at(-1)).toEqual(['en/goodbye.wav']);
    expect(ch.localHangups).toBe(1);
  });

  it('the deployment-wide cap wins over a larger flow maxSteps', async () => {
    const ch = new FakeChannel({ inputs: Array(100).fill('1') });
    const r = await runFlow(loopFlow(500), ch, mkDeps({ maxSteps: 4 }));
    expect([r.outcome, r.steps]).toEqual(['max-steps', 4]);
  });

  it('a caller hangup during a prompt stops the session promptly, without playing anything else', async () => {
    const ch = new FakeChannel({ hangupDuringPlay: 2 });
    const flow = mkFlow({
      a: { kind: 'play', prompts: ['one'], next: 'b' },
      b: { kind: 'play', prompts: ['two-long'], next: 'c' },
      c: { kind: 'play', prompts: ['three'], next: 'bye' },
      bye: { kind: 'hangup', prompts: ['goodbye'] },
    });
    const r = await runFlow(flow, ch, mkDeps());
    expect(r.outcome).toBe('caller-hangup');
    expect(r.path).toEqual(['a', 'b']);
    expect(ch.files).toEqual(['en/one.wav', 'en/two-long.wav']);
    expect(ch.localHangups).toBe(0);
  });

  it('a task that never returns is abandoned when the caller hangs up, and its signal is aborted', async () => {
    let signal: AbortSignal | undefined;
    const stuck: Task<'play'> = { kind: 'play', run: (_n, ctx) => ((signal = ctx.signal), new Promise(() => undefined)) };
    const ch = new FakeChannel();
    setTimeout(() => ch.callerHangup(), 30);
    const r = await runFlow(mkFlow({ p: { kind: 'play', prompts: ['x'], next: 'bye' }, bye: { kind: 'hangup' } }), ch, mkDeps(), { tasks: { play: stuck } });
    expect(r.outcome).toBe('caller-hangup');
    expect(signal?.aborted).toBe(true);
  });

  it('a call that is already gone runs no node', async () => {
    const ch = new FakeChannel();
    ch.callerHangup();
    const r = await runFlow(mkFlow({ p: { kind: 'play', prompts: ['x'], next: 'bye' }, bye: { kind: 'hangup' } }), ch, mkDeps());
    expect([r.outcome, r.steps, ch.played.length]).toEqual(['caller-hangup', 0, 0]);
  });

  it('a thrown error goes to onError with error.node / error.message', async () => {
    const boom: Task<'set-var'> = { kind: 'set-var', run: async () => { throw new Error('database on fire'); } };
    const ch = new FakeChannel();
    const flow = mkFlow({
      s: { kind: 'set-var', set: {}, next: 'bye' },
      bye: { kind: 'hangup' },
      oops: { kind: 'say', parts: [{ prompt: 'sorry' }], next: 'bye' },
    }, { onError: 'oops' });
    const r = await runFlow(flow, ch, mkDeps(), { tasks: { 'set-var': boom } });
    expect(r.path).toEqual(['s', 'oops', 'bye']);
    expect(r.vars['error.message']).toBe('database on fire');
    expect(r.trace[0].result).toBe('failed');
    expect(r.outcome).toBe('hangup');
  });

  it('an onError node that keeps failing cannot loop: after three redirects the call is hung up politely', async () => {
    const ch = new FakeChannel();
    const flow = mkFlow({
      s: { kind: 'say', parts: [{ number: 'x' }], next: 'bye' },
      bye: { kind: 'hangup' },
    }, { onError: 's' });
    const r = await runFlow(flow, ch, mkDeps());
    expect(r.path).toEqual(['s', 's', 's', 's']);
    expect(r.outcome).toBe('error');
    expect(ch.files).toEqual(['en/goodbye.wav']);
    expect(ch.localHangups).toBe(1);
  });

  it('a missing service (no queue configured) is an error handled like any other', async () => {
    const ch = new FakeChannel();
    const r = await runFlow(mkFlow({ q: { kind: 'enqueue', queueId: 'service' } }), ch, mkDeps({ errorPrompts: ['tech-problem'] }));
    expect(r.outcome).toBe('error');
    expect(r.detail).toMatch(/no queue service configured/);
    expect(ch.files).toEqual(['en/tech-problem.wav']);
  });

  it('logs every transition with callId and node, and publishes start/end events', async () => {
    const { log, lines } = captureLogger();
    const events: { topic: string; ev: Record<string, unknown> }[] = [];
    const ch = new FakeChannel({ inputs: ['1', '0'] });
    await runFlow(loopFlow(), ch, mkDeps({ log, bus: { publish: async (topic, ev) => void events.push({ topic, ev }) } }));
    const transitions = lines.filter((l) => l.msg === 'ivr transition');
    expect(transitions.map((l) => [l.from, l.to])).toEqual([['m', 'info'], ['info', 'm'], ['m', 'bye']]);
    expect(lines.every((l) => l.callId === ch.callId)).toBe(true);
    expect(transitions[0]).toMatchObject({ flowId: 'test-flow', node: 'm', kind: 'menu' });
    expect(events.map((e) => [e.topic, e.ev.type])).toEqual([['supervisor', 'ivr.started'], ['supervisor', 'ivr.ended']]);
    expect(events[1].ev).toMatchObject({ outcome: 'hangup', path: ['m', 'info', 'm', 'bye'] });
  });

  it('refuses to run an invalid flow', async () => {
    await expect(runFlow(mkFlow({ a: { kind: 'play', prompts: ['x'], next: 'nowhere' } }), new FakeChannel(), mkDeps()))
      .rejects.toThrow(/node 'a' next: goes to unknown node 'nowhere'/);
  });
});

describe('IVR error path when the error prompt itself is missing', () => {
  it('still hangs up', async () => {
    const ch = new FakeChannel();
    const prompts = { ...mkDeps().prompts, file: (k: string) => { if (k === 'goodbye') throw new Error('no prompt file'); return `en/${k}.wav`; } };
    const r = await runFlow(mkFlow({ q: { kind: 'enqueue', queueId: 'service' } }), ch, mkDeps({ prompts }));
    expect(r.outcome).toBe('error');
    expect(ch.played).toEqual([]);
    expect(ch.localHangups).toBe(1);
  });
});
