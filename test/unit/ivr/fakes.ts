import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type {
  BridgeResult, BridgeTarget, CallChannel, CollectOptions, CollectResult, PlayOptions, PromptFile, RecordingMeta,
} from '../../../src/calls/call-channel.js';
import type { IvrLanguage, PromptResolver } from '../../../src/ivr/ports.js';

/**
 * What the caller does at each collectDigits(): press keys (a string; leftovers stay buffered as
 * type-ahead), stay silent, or hang up. When the script runs out the caller stays silent.
 */
export type CallerInput = string | { silence: true } | { hangup: true };

export interface FakeChannelOptions {
  inputs?: CallerInput[];
  remoteNumber?: string;
  localNumber?: string;
  /** The caller hangs up during the n-th play (1-based); that play never finishes on its own. */
  hangupDuringPlay?: number;
  /** Every play takes this long (0 = immediate). */
  playMs?: number;
  bridge?: BridgeResult | ((t: BridgeTarget) => BridgeResult);
}

/** A scripted caller: records prompts, collect options and bridges; simulates key presses and hangup. */
export class FakeChannel extends EventEmitter implements CallChannel {
  readonly callId: string;
  readonly direction = 'inbound' as const;
  readonly remoteNumber: string;
  readonly localNumber: string;
  ended = false;
  answeredAt = new Date();
  played: PromptFile[][] = [];
  playOpts: (PlayOptions | undefined)[] = [];
  collects: CollectOptions[] = [];
  bridges: BridgeTarget[] = [];
  localHangups = 0;
  private inputs: CallerInput[];
  private buffer = '';
  private static n = 0;

  constructor(private readonly o: FakeChannelOptions = {}) {
    super();
    this.callId = `fake-call-${++FakeChannel.n}`;
    this.inputs = [...(o.inputs ?? [])];
    this.remoteNumber = o.remoteNumber ?? '+8613800001111';
    this.localNumber = o.localNumber ?? '+862140001000';
  }

  /** All played files, flattened. */
  get files(): PromptFile[] {
    return this.played.flat();
  }

  callerHangup(): void {
    if (this.ended) return;
    this.ended = true;
    this.emit('hangup', 'remote');
  }

  async play(files: PromptFile[], opts?: PlayOptions): Promise<{ interrupted: boolean }> {
    if (this.ended) return { interrupted: false };
    this.played.push(files);
    this.playOpts.push(opts);
    if (this.o.hangupDuringPlay === this.played.length) {
      // Like a real channel: playback stops only when the call goes away.
      return new Promise((resolve) => {
        this.once('hangup', () => resolve({ interrupted: true }));
        setTimeout(() => this.callerHangup(), 20);
      });
    }
    if (this.o.playMs) await new Promise((r) => setTimeout(r, this.o.playMs));
    return { interrupted: false };
  }

  async collectDigits(o: CollectOptions): Promise<CollectResult> {
    this.collects.push(o);
    if (this.ended) return { digits: '', reason: 'hangup' };
    if (this.buffer === '') {
      const next = this.inputs.shift();
      if (next === undefined || (typeof next === 'object' && 'silence' in next)) return { digits: '', reason: 'timeout' };
      if (typeof next === 'object') {
        this.callerHangup();
        return { digits: '', reason: 'hangup' };
      }
      this.buffer = next;
    }
    let digits = '';
    while (this.buffer.length) {
      const k = this.buffer[0];
      this.buffer = this.buffer.slice(1);
      if (k === o.finishOnKey) return { digits, reason: 'finish-key' };
      digits += k;
      if (digits.length >= o.max) return { digits, reason: 'max' };
    }
    return { digits, reason: 'timeout' };
  }

  async startHold(_file: PromptFile): Promise<void> {}
  async stopHold(): Promise<void> {}

  async bridge(target: BridgeTarget): Promise<BridgeResult> {
    this.bridges.push(target);
    const b = this.o.bridge ?? { outcome: 'no-answer' };
    const r = typeof b === 'function' ? b(target) : b;
    if (r.outcome === 'bridged') this.emit('bridged', r.legCallId);
    return r;
  }

  async startRecording(_meta: RecordingMeta): Promise<void> {}
  async pauseRecording(): Promise<void> {}
  async resumeRecording(): Promise<void> {}

  async hangup(): Promise<void> {
    this.localHangups++;
    if (this.ended) return;
    this.ended = true;
    this.emit('hangup', 'local');
  }
}

/** Prompt files named after key and language so tests can read what the caller heard. */
export const fakePrompts: PromptResolver = {
  file: (key: string, lang: IvrLanguage) => `${lang}/${key}.wav`,
  sayDigits: (s: string, lang: IvrLanguage) => [...s].map((d) => `${lang}/digit:${d}`),
  sayNumber: (n: number, lang: IvrLanguage) => [`${lang}/num:${n}`],
  sayDate: (d: Date, lang: IvrLanguage) => [`${lang}/date:${d.toISOString().slice(0, 10)}`],
  sayCurrency: (amount: number, currency: string, lang: IvrLanguage) => [`${lang}/money:${amount}:${currency}`],
};

/** A pino logger whose JSON lines are kept for assertions. */
export function captureLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}
