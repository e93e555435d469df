import { EventEmitter } from 'node:events';
import type { BridgeResult, BridgeTarget, CallChannel, CollectOptions, CollectResult, RecordingMeta } from '../../calls/call-channel.js';

/**
 * An in-memory CallChannel for the simulation and unit tests: records what was played and
 * lets the test (or the simulated customer) hang up.
 */
export class FakeCall extends EventEmitter implements CallChannel {
  readonly direction = 'outbound' as const;
  ended = false;
  answeredAt?: Date;
  readonly played: string[] = [];
  endedBy?: 'remote' | 'local';

  constructor(readonly callId: string, readonly remoteNumber: string, readonly localNumber: string, answeredAt?: Date) {
    super();
    this.answeredAt = answeredAt;
  }

  async play(files: string[]): Promise<{ interrupted: boolean }> {
    this.played.push(...files);
    return { interrupted: false };
  }
  async collectDigits(_o: CollectOptions): Promise<CollectResult> {
    return { digits: '', reason: this.ended ? 'hangup' : 'timeout' };
  }
  async startHold(): Promise<void> {}
  async stopHold(): Promise<void> {}
  async bridge(_t: BridgeTarget): Promise<BridgeResult> {
    return { outcome: 'bridged', legCallId: `${this.callId}-b` };
  }
  readonly recordings: RecordingMeta[] = [];
  async startRecording(meta: RecordingMeta): Promise<void> {
    this.recordings.push(meta);
  }
  async pauseRecording(): Promise<void> {}
  async resumeRecording(): Promise<void> {}

  async hangup(): Promise<void> {
    this.end('local');
  }

  /** The far end hangs up. */
  remoteHangup(): void {
    this.end('remote');
  }

  private end(by: 'remote' | 'local'): void {
    if (this.ended) return;
    this.ended = true;
    this.endedBy = by;
    this.emit('hangup', by);
  }
}
