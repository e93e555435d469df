import type { CallChannel } from './call-channel.js';

export interface CallCounts {
  active: number;
  inbound: number;
  outbound: number;
  bridged: number;
  /** Calls registered since start (a counter for metrics rates). */
  total: number;
}

/**
 * Calls alive in this process, by callId: supervisors find a call to listen in on, metrics read counts,
 * tests assert nothing leaked. A call leaves the registry when it emits 'hangup'.
 */
export class CallRegistry {
  private readonly calls = new Map<string, CallChannel>();
  private readonly bridged = new Set<string>();
  private total = 0;

  add(call: CallChannel): void {
    if (this.calls.has(call.callId) || call.ended) return;
    this.calls.set(call.callId, call);
    this.total++;
    const onBridged = () => this.bridged.add(call.callId);
    const onUnbridged = () => this.bridged.delete(call.callId);
    call.on('bridged', onBridged);
    call.on('unbridged', onUnbridged);
    call.once('hangup', () => {
      this.calls.delete(call.callId);
      this.bridged.delete(call.callId);
      call.off('bridged', onBridged);
      call.off('unbridged', onUnbridged);
    });
  }

  get(callId: string): CallChannel | undefined {
    return this.calls.get(callId);
  }

  list(): CallChannel[] {
    return [...this.calls.values()];
  }

  counts(): CallCounts {
    let inbound = 0;
    for (const c of this.calls.values()) if (c.direction === 'inbound') inbound++;
    return { active: this.calls.size, inbound, outbound: this.calls.size - inbound, bridged: this.bridged.size, total: this.total };
  }

  /** Hangs up everything (shutdown). */
  async hangupAll(): Promise<void> {
    await Promise.allSettled(this.list().map((c) => c.hangup()));
  }
}
