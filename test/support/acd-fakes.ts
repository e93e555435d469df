import { EventEmitter } from 'node:events';
import type { BridgeResult, BridgeTarget, CallChannel, CollectOptions, CollectResult, PlayOptions, PromptFile, RecordingMeta } from '../../src/calls/call-channel.js';

export type BridgeOutcome = 'answer' | 'no-answer' | 'busy' | 'rejected' | 'failed';
/** How the far end (an agent's phone) responds to a bridge: outcome and after how long. */
export type BridgeScript = (target: BridgeTarget) => { outcome: BridgeOutcome; afterMs?: number };

let seq = 0;

/**
 * A scripted CallChannel for ACD unit tests. It mimics SipCall's event order: an agent hang-up emits
 * 'unbridged' while the call is still up and then 'hangup'; a caller hang-up ends the call first.
 */
export class FakeCall extends EventEmitter implements CallChannel {
  readonly callId: string;
  readonly direction = 'inbound' as const;
  readonly remoteNumber: string;
  readonly localNumber = '+15550000000';
  ended = false;
  answeredAt?: Date = new Date();
  bridgedTo?: BridgeTarget;
  readonly bridges: { target: BridgeTarget; at: number; outcome?: BridgeResult['outcome'] }[] = [];
  readonly played: PromptFile[][] = [];
  readonly holds: PromptFile[] = [];
  holdStops = 0;
  digitsToCollect: string[] = [];
  private ringing?: () => void;

  constructor(opts: { callId?: string; remoteNumber?: string; script?: BridgeScript } = {}) {
    super();
    this.callId = opts.callId ?? `call-${++seq}-${Math.random().toString(36).slice(2, 8)}`;
    this.remoteNumber = opts.remoteNumber ?? '+15551230000';
    this.script = opts.script ?? (() => ({ outcome: 'answer', afterMs: 5 }));
  }

  script: BridgeScript;

  async play(files: PromptFile[], _opts?: PlayOptions): Promise<{ interrupted: boolean }> {
    this.played.push(files);
    return { interrupted: false };
  }

  async collectDigits(_opts: CollectOptions): Promise<CollectResult> {
    const d = this.digitsToCollect.shift();
    return d === undefined ? { digits: '', reason: 'timeout' } : { digits: d, reason: 'max' };
  }

  async startHold(file: PromptFile): Promise<void> { this.holds.push(file); }
  async stopHold(): Promise<void> { this.holdStops++; }

  async bridge(target: BridgeTarget): Promise<BridgeResult> {
    if (this.ended) return { outcome: 'caller-gone' };
    const rec: { target: BridgeTarget; at: number; outcome?: BridgeResult['outcome'] } = { target, at: Date.now() };
    this.bridges.push(rec);
    const { outcome, afterMs = 5 } = this.script(target);
    const ringFor = outcome === 'no-answer' ? Math.min(afterMs, target.ringTimeoutMs ?? afterMs) : afterMs;
    const gone = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => { this.ringing = undefined; resolve(false); }, ringFor);
      this.ringing = () => { clearTimeout(t); resolve(true); };
    });
    const result: BridgeResult = gone || this.ended
      ? { outcome: 'caller-gone' }
      : outcome === 'answer'
        ? { outcome: 'bridged', legCallId: `leg-${this.callId}-${this.bridges.length}` }
        : { outcome: outcome === 'no-answer' ? 'no-answer' : outcome, sipStatus: outcome === 'busy' ? 486 : outcome === 'rejected' ? 603 : outcome === 'failed' ? 503 : 408 };
    rec.outcome = result.outcome;
    if (result.outcome === 'bridged') {
      this.bridgedTo = target;
      this.emit('bridged', result.legCallId);
    }
    return result;
  }

  async startRecording(_m: RecordingMeta): Promise<void> {}
  async pauseRecording(): Promise<void> {}
  async resumeRecording(): Promise<void> {}

  async hangup(): Promise<void> {
    this.end('local');
  }

  pressKey(digit: string): void {
    this.emit('dtmf', digit);
  }

  /** The agent's phone hangs up: unbridged first (call still up), then the call ends. */
  agentHangup(): void {
    if (this.ended || !this.bridgedTo) return;
    this.bridgedTo = undefined;
    this.emit('unbridged');
    this.end('remote');
  }

  /** The customer hangs up. */
  callerHangup(): void {
    this.end('remote');
  }

  private end(by: 'remote' | 'local'): void {
    if (this.ended) return;
    this.ended = true;
    this.ringing?.();
    if (this.bridgedTo) {
      this.bridgedTo = undefined;
      this.emit('unbridged');
    }
    this.emit('hangup', by);
  }
}

/** The agent id in an ACD test contact URI (`sip:<agentId>@127.0.0.1:5099`). */
export function agentOf(target: BridgeTarget): string {
  return /^sip:([^@]+)@/.exec(target.uri)?.[1] ?? '';
}
