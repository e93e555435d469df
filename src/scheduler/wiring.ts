import type { AgentStateService } from '../agents/agent-state.js';
import type { Originator as CallsOriginator } from '../calls/originator.js';
import type { EventBus } from '../events/bus.js';
import type { CallbackRequester } from '../ivr/ports.js';
import type { CallbackSink } from '../queue/ports.js';
import type { QueueService } from '../queue/queue-service.js';
import type { CampaignStore } from '../dialer/campaign-store.js';
import type { DispositionHooks } from '../leads/disposition-service.js';
import type { CallbackService } from './callback-service.js';
import type { FollowUpPlans } from './follow-up-plans.js';
import { campaignScopes, type ScopeResolver } from './compliance-adapter.js';
import type { AgentAvailability, EventPublisher, Originator, QueueEntry } from './ports.js';

/**
 * Adapters from the other areas' classes to the scheduler's ports, for src/main.ts. Most are identity
 * functions: their point is that tsc checks the real classes still fit the ports.
 */

export const callOriginator = (o: CallsOriginator): Originator => o;
export const acdQueueEntry = (q: QueueService): QueueEntry => q;
export const busPublisher = (bus: EventBus): EventPublisher => bus;

/** An agent may take a callback preview when their state is 'available'. */
export function agentAvailability(states: AgentStateService): AgentAvailability {
  return { isAvailable: async (agentId) => (await states.get(agentId)).state === 'available' };
}

/** The callback service is both the queue's CallbackSink (exit key / overflow) and the IVR's CallbackRequester. */
export function callbackSinks(callbacks: CallbackService): { queue: CallbackSink; ivr: CallbackRequester } {
  return { queue: callbacks, ivr: callbacks };
}

/** Campaign calling windows and prefixes for DialGuard (callbacks carrying a campaignId). */
export const campaignRules = (campaigns: CampaignStore): ScopeResolver => campaignScopes(campaigns);

/**
 * The dialer's disposition hooks (DispositionService.useHooks): a "callback" disposition books a scheduled callback
 * for the lead's owner (owner-only: the customer stays with their rep; the queue is the fallback after ownerWaitMs),
 * a final one closes the lead's follow-up plans and open callbacks.
 */
export function dispositionHooks(s: { callbacks: Pick<CallbackService, 'fromDisposition' | 'create'>; plans: Pick<FollowUpPlans, 'closeLead'> }): DispositionHooks {
  return {
    async scheduleCallback(c) {
      const common = {
        leadId: c.leadId, phone: c.phone, timezone: c.timezone, campaignId: c.campaignId,
        ...(c.queueId ? { queueId: c.queueId } : {}), ...(c.note ? { note: c.note } : {}),
      };
      if (c.ownerAgentId) {
        const cb = await s.callbacks.fromDisposition({ ...common, agentId: c.ownerAgentId, callbackAt: c.callbackAt, ownerOnly: true, ...(c.callId ? { callId: c.callId } : {}) });
        return { callbackId: cb.id };
      }
      // nobody owns the customer (e.g. a supervisor's disposition): any agent takes it from the queue
      const { callback } = await s.callbacks.create({
        ...common, dueAt: c.callbackAt, source: 'agent', createdBy: c.agentId ?? 'disposition', ownerOnly: false,
        idempotencyKey: `disposition:${c.callId ?? `${c.leadId}:${c.callbackAt}`}`,
      });
      return { callbackId: callback.id };
    },
    async closeLead(leadId, outcome, by) {
      await s.plans.closeLead(leadId, outcome, by);
    },
  };
}
