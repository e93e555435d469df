import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makePrompts } from '../../../scripts/make-prompts.js';
import { PromptNotFoundError, PromptSet } from '../../../src/media/prompts.js';
import { PROMPT_TEXTS } from '../../../src/media/prompt-catalog.js';
import { decodeWav, parseWavHeader } from '../../../src/media/wav.js';
import { rms } from '../../support/rtp-peer.js';

describe('prompt set generated with espeak-ng + sox', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prompts-'));
  let first: { rendered: number; kept: number };
  beforeAll(async () => {
    first = await makePrompts(dir, () => undefined);
  }, 60_000);

  it('renders every catalog key as 8 kHz mono 16-bit speech, and .complete last', () => {
    const total = Object.keys(PROMPT_TEXTS.en).length + Object.keys(PROMPT_TEXTS.zh).length + 2;
    expect(first).toEqual({ rendered: total, kept: 0 });
    const set = new PromptSet({ dir });
    expect(set.missing()).toEqual([]);
    expect(set.complete).toBe(true);
    for (const f of [set.file('n-7', 'en'), set.file('unit-1e4', 'zh'), set.file('safe-harbor', 'zh'), set.file('moh')]) {
      const buf = readFileSync(f);
      const h = parseWavHeader(buf);
      expect(h).toMatchObject({ channels: 1, sampleRate: 8000, bitsPerSample: 16 });
      expect(h.durationMs).toBeGreaterThan(150);
      expect(rms(decodeWav(buf).channels[0])).toBeGreaterThan(300);
    }
  });

  it('is idempotent: a second run renders nothing and leaves files untouched', async () => {
    const f = join(dir, 'en', 'goodbye.wav');
    const before = statSync(f).mtimeMs;
    expect(await makePrompts(dir, () => undefined)).toMatchObject({ rendered: 0 });
    expect(statSync(f).mtimeMs).toBe(before);
  });

  it('resolves say sequences to files per language, and a studio recording wins', () => {
    const set = new PromptSet({ dir, defaultLang: 'zh' });
    expect(set.sayNumber(10_005).map((p) => p.slice(dir.length))).toEqual(['/zh/digit-1.wav', '/zh/unit-1e4.wav', '/zh/digit-0.wav', '/zh/digit-5.wav']);
    expect(set.sayCurrency(1.5, 'USD', 'en').map((p) => p.split('/').pop())).toEqual(['n-1.wav', 'cur-USD-major-one.wav', 'and.wav', 'n-50.wav', 'cur-USD-minor.wav']);
    mkdirSync(join(dir, 'studio', 'en'), { recursive: true });
    copyFileSync(join(dir, 'en', 'goodbye.wav'), join(dir, 'studio', 'en', 'please-hold.wav'));
    expect(set.phrase('please-hold', 'en')).toEqual([join(dir, 'studio', 'en', 'please-hold.wav')]);
    expect(set.phrase('please-hold', 'zh')).toEqual([join(dir, 'zh', 'please-hold.wav')]);
    expect(() => set.file('no-such-prompt')).toThrow(PromptNotFoundError);
  });
});
