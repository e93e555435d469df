import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROMPT_TEXTS } from '../../../src/media/prompt-catalog.js';
import { PromptSet } from '../../../src/media/prompts.js';
import type { PromptResolver } from '../../../src/ivr/ports.js';
import { runFlow } from '../../../src/ivr/session.js';
import { missingPrompts } from '../../../src/ivr/prompt-check.js';
import { parseFlow } from '../../../src/ivr/validate-flow.js';
import { FakeChannel } from './fakes.js';
import { mkDeps, mkFlow } from './helpers.js';

/** The media engineer's PromptSet is the production PromptResolver: same names, files on disk. */
describe('IVR with the real PromptSet', () => {
  let dir: string;
  let prompts: PromptSet;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ivr-prompts-'));
    for (const lang of ['en', 'zh'] as const) {
      mkdirSync(join(dir, lang), { recursive: true });
      for (const key of Object.keys(PROMPT_TEXTS[lang])) writeFileSync(join(dir, lang, `${key}.wav`), '');
    }
    // A flow-specific studio recording, English only.
    mkdirSync(join(dir, 'studio', 'en'), { recursive: true });
    writeFileSync(join(dir, 'studio', 'en', 'policy.premium-due.wav'), '');
    prompts = new PromptSet({ dir });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('type-checks as a PromptResolver and reads amounts, dates and digits in Mandarin', async () => {
    const resolver: PromptResolver = prompts;
    const ch = new FakeChannel({ inputs: ['1', '2038#'] });
    const flow = mkFlow({
      lang: { kind: 'menu', prompts: ['welcome'], choices: [{ key: '1', lang: 'zh', next: 'acct' }] },
      acct: { kind: 'gather', prompts: ['please-enter-account'], var: 'acct', max: 8, finishOnKey: '#', next: 'say' },
      say: {
        kind: 'say',
        parts: [{ digits: '{{acct}}' }, { prompt: 'amount-due-is' }, { currency: '{{amt}}', code: 'CNY' }, { prompt: 'is-due-on' }, { date: '2026-12-15' }],
        next: 'bye',
      },
      bye: { kind: 'hangup', prompts: ['goodbye'] },
    }, { vars: { amt: '2380.5' } });
    const r = await runFlow(flow, ch, mkDeps({ prompts: resolver }));
    expect(r.outcome).toBe('hangup');
    const keys = ch.played[2].map((f) => f.slice(dir.length + 1));
    expect(keys).toEqual([
      'zh/digit-2.wav', 'zh/digit-0.wav', 'zh/digit-3.wav', 'zh/digit-8.wav',
      'zh/amount-due-is.wav',
      ...prompts.sayCurrency(2380.5, 'CNY', 'zh').map((f) => f.slice(dir.length + 1)),
      'zh/is-due-on.wav',
      ...prompts.sayDate(new Date('2026-12-15'), 'zh').map((f) => f.slice(dir.length + 1)),
    ]);
    expect(keys).toContain('zh/cur-CNY-jiao.wav');
  });

  it('a prompt missing in the session language fails the node and goes to onError', async () => {
    const ch = new FakeChannel({ inputs: ['1'] });
    const flow = mkFlow({
      lang: { kind: 'menu', prompts: ['welcome'], choices: [{ key: '1', lang: 'zh', next: 'p' }, { key: '2', lang: 'en', next: 'p' }] },
      p: { kind: 'play', prompts: ['policy.premium-due'], next: 'bye' },
      bye: { kind: 'hangup', prompts: ['goodbye'] },
      sorry: { kind: 'hangup', prompts: ['thank-you', 'goodbye'] },
    }, { onError: 'sorry' });
    const r = await runFlow(flow, ch, mkDeps({ prompts }));
    expect(r.path).toEqual(['lang', 'p', 'sorry']);
    expect(r.vars['error.message']).toBe("no prompt file for 'policy.premium-due' (zh)");
    const en = await runFlow(flow, new FakeChannel({ inputs: ['2'] }), mkDeps({ prompts }));
    expect(en.path).toEqual(['lang', 'p', 'bye']);
  });

  it('warns about prompt keys without a recording in a language the flow can switch to', () => {
    const flow = parseFlow(mkFlow({
      lang: { kind: 'menu', prompts: ['welcome'], choices: [{ key: '1', lang: 'zh', next: 'p' }, { key: '2', next: 'p' }] },
      p: { kind: 'say', parts: [{ prompt: 'policy.premium-due' }, { number: '1' }, { prompt: 'no-such-prompt' }], next: 'bye' },
      bye: { kind: 'hangup', prompts: ['goodbye'] },
    }));
    expect(missingPrompts(flow, prompts)).toEqual([
      { node: 'p', field: 'parts[0].prompt', message: "no prompt 'policy.premium-due' for zh" },
      { node: 'p', field: 'parts[2].prompt', message: "no prompt 'no-such-prompt' for en, zh" },
    ]);
  });
});
