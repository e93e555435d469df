import type { EventEmitter } from 'node:events';

/**
 * The contract between call control (src/calls, SIP + rtpengine) and everything that drives calls:
 * IVR tasks, ACD queues, the dialer and scheduled reminders. Domain code sees only this interface,
 * so it is unit-tested with a fake channel and runs unchanged on real SIP/RTP.
 */

export interface CollectOptions {
  min?: number;
  max: number;
  /** Key that ends input early, e.g. '#'. Not included in the digits. */
  finishOnKey?: string;
  firstDigitTimeoutMs: number;
  interDigitTimeoutMs: number;
}

export interface CollectResult {
  digits: string;
  reason: 'max' | 'finish-key' | 'timeout' | 'hangup';
}

export interface PlayOptions {
  /** Stop playing when the caller presses a key; the key stays buffered for the next collectDigits (type-ahead). */
  bargeIn?: boolean;
}

/** A prompt is a WAV file path already resolved by the prompt set (src/media/prompts). */
export type PromptFile = string;

export interface BridgeTarget {
  /** SIP URI of an agent softphone contact or an external destination. */
  uri: string;
  /** Caller id presented to the far end. */
  callerId?: string;
  /** Extra SIP headers on the outgoing INVITE (e.g. X-Call-Id for screen pops). */
  headers?: Record<string, string>;
  /** How long to ring before giving up. */
  ringTimeoutMs?: number;
}

export type BridgeResult =
  | { outcome: 'bridged'; legCallId: string }
  | { outcome: 'no-answer' | 'busy' | 'rejected' | 'failed' | 'caller-gone'; sipStatus?: number };

export interface RecordingMeta {
  campaignId?: string;
  queueId?: string;
  agentId?: string;
  leadId?: string;
  noticePlayed?: boolean;
}

/** Events: 'dtmf' (digit: string), 'hangup' (by: 'remote' | 'local'), 'bridged' (legCallId), 'unbridged' (). */
export interface CallChannel extends EventEmitter {
  readonly callId: string;
  readonly direction: 'inbound' | 'outbound';
  /** E.164 or SIP user of the caller (inbound) / the callee (outbound). */
  readonly remoteNumber: string;
  /** The DID dialled (inbound) or our caller id (outbound). */
  readonly localNumber: string;
  readonly ended: boolean;
  answeredAt?: Date;
  play(files: PromptFile[], opts?: PlayOptions): Promise<{ interrupted: boolean }>;
  collectDigits(opts: CollectOptions): Promise<CollectResult>;
  /** Music on hold / comfort loop until stopHold() or bridge. */
  startHold(file: PromptFile): Promise<void>;
  stopHold(): Promise<void>;
  bridge(target: BridgeTarget): Promise<BridgeResult>;
  startRecording(meta: RecordingMeta): Promise<void>;
  pauseRecording(): Promise<void>;
  resumeRecording(): Promise<void>;
  hangup(): Promise<void>;
}
