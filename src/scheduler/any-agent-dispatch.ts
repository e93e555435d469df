import type { Logger } from '../logger.js';
import { callLogger } from '../logger.js';
import type { AnyAgentDispatch, AnyAgentOutcome, CallbackOffer, Originator, QueueEntry } from './ports.js';

export interface OriginateThenQueueOptions {
  originator: Originator;
  queue: QueueEntry;
  callerId: string;
  /** Queue for callbacks that carry none. */
  defaultQueueId: string;
  ringTimeoutMs?: number;
  /** Callbacks jump ahead of fresh inbound calls (0..9, default 7). */
  priority?: number;
  log: Logger;
}

/** "Queue for any agent": call the customer, then put the answered call in the ACD with the callback in the screen pop. */
export class OriginateThenQueue implements AnyAgentDispatch {
  constructor(private readonly o: OriginateThenQueueOptions) {}

  async queueForAnyAgent(cb: CallbackOffer): Promise<AnyAgentOutcome> {
    const r = await this.o.originator.originate({
      to: cb.phone, callerId: this.o.callerId, ringTimeoutMs: this.o.ringTimeoutMs ?? 30_000,
      headers: { 'X-Callback-Id': cb.callbackId },
    });
    if (r.outcome !== 'answered') return { outcome: r.outcome };
    const log = callLogger(this.o.log, r.call.callId, { callbackId: cb.callbackId });
    const queueId = cb.queueId ?? this.o.defaultQueueId;
    log.info({ queueId }, 'callback answered; queueing for any agent');
    try {
      const q = await this.o.queue.enqueue(r.call, {
        queueId, priority: this.o.priority ?? 7,
        vars: { callbackId: cb.callbackId, ...(cb.note ? { note: cb.note } : {}), ...(cb.campaignId ? { campaignId: cb.campaignId } : {}) },
        ...(cb.leadId ? { leadId: cb.leadId } : {}),
      });
      return { outcome: 'queued', queueOutcome: q.outcome };
    } finally {
      if (!r.call.ended) await r.call.hangup().catch(() => undefined);
    }
  }
}
