import type { Logger } from '../logger.js';
import { OriginateThenQueue } from '../scheduler/any-agent-dispatch.js';
import type { AnyAgentDispatch, Originator, QueueEntry } from '../scheduler/ports.js';

/** Callbacks for "any agent": dial the customer, then queue the answered call in the ACD (ahead of fresh calls). */
export function queueAnyAgentDispatch(o: { originator: Originator; queue: QueueEntry; callerId: string; defaultQueueId: string; log: Logger; ringTimeoutMs?: number }): AnyAgentDispatch {
  return new OriginateThenQueue({ ...o });
}
