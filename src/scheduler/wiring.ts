import type { AgentStateService } from '../agents/agent-state.js';
import type { Originator as CallsOriginator } from '../calls/originator.js';
import type { EventBus } from '../events/bus.js';
import type { CallbackRequester } from '../ivr/ports.js';
import type { CallbackSink } from '../queue/ports.js';
import type { QueueService } from '../queue/queue-service.js';
import type { CampaignStore } from '../dialer/campaign-store.js';
import type { CallbackService } from './callback-service.js';
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
