import type { CollectOptions, CollectResult } from '../calls/call-channel.js';

/**
 * Digits of one leg with a type-ahead buffer: keys pressed while a prompt plays (or between two
 * collectDigits calls) are kept and consumed by the next collectDigits, as callers expect of an IVR.
 *
 * Semantics of collectDigits:
 * - ends with 'max' once `max` digits are in, 'finish-key' when finishOnKey is pressed (not included),
 *   'timeout' when firstDigitTimeoutMs passes before the first digit or interDigitTimeoutMs after the last.
 * - `min`: the finish key is honoured only after `min` digits; an earlier finish key is dropped.
 * - digits left over after a result stay buffered for the next call.
 */
export class DigitCollector {
  private buffer: string[] = [];
  private pending?: {
    opts: CollectOptions;
    digits: string;
    timer?: NodeJS.Timeout;
    resolve: (r: CollectResult) => void;
  };
  private readonly listeners = new Set<(d: string) => void>();
  private closed = false;

  /** A key press from the leg (DTMF feed). */
  push(digit: string): void {
    if (this.closed) return;
    for (const l of [...this.listeners]) l(digit);
    this.buffer.push(digit);
    this.drain();
  }

  /** Every digit, as it arrives (barge-in, CallChannel 'dtmf' event). Returns an unsubscribe function. */
  onDigit(listener: (d: string) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  get buffered(): string {
    return this.buffer.join('');
  }

  clear(): void {
    this.buffer = [];
  }

  collectDigits(opts: CollectOptions): Promise<CollectResult> {
    if (this.closed) return Promise.resolve({ digits: '', reason: 'hangup' });
    if (this.pending) return Promise.reject(new Error('collectDigits already in progress on this leg'));
    if (!(opts.max >= 1)) return Promise.reject(new Error(`collectDigits: max must be >= 1 (got ${opts.max})`));
    return new Promise((resolve) => {
      this.pending = { opts, digits: '', resolve };
      this.drain();
      if (this.pending) this.arm();
    });
  }

  /** Ends a pending collectDigits with 'hangup' and ignores further digits. */
  close(): void {
    this.closed = true;
    this.finish('hangup');
    this.buffer = [];
    this.listeners.clear();
  }

  private drain(): void {
    const p = this.pending;
    if (!p) return;
    let consumed = false;
    while (this.buffer.length && this.pending === p) {
      const d = this.buffer.shift() as string;
      consumed = true;
      if (p.opts.finishOnKey && d === p.opts.finishOnKey) {
        if (p.digits.length >= (p.opts.min ?? 0)) this.finish('finish-key');
        continue;
      }
      p.digits += d;
      if (p.digits.length >= p.opts.max) this.finish('max');
    }
    if (consumed && this.pending === p) this.arm();
  }

  private arm(): void {
    const p = this.pending;
    if (!p) return;
    if (p.timer) clearTimeout(p.timer);
    const ms = p.digits.length === 0 ? p.opts.firstDigitTimeoutMs : p.opts.interDigitTimeoutMs;
    p.timer = setTimeout(() => this.finish('timeout'), ms);
  }

  private finish(reason: CollectResult['reason']): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    if (p.timer) clearTimeout(p.timer);
    p.resolve({ digits: p.digits, reason });
  }
}
