import type { StrategyName } from '../queue-schema.js';
import type { RoutingInput, RoutingStrategy } from './types.js';

/**
 * A known customer goes to the agent who owns them (seeds: a customer stays with their rep). While the owner is
 * logged in but busy, the call waits up to ownerFallbackSec for them, then the fallback strategy picks among
 * the queue's agents. An owner who is logged out is not waited for.
 */
export function ownerFirst(fallback: (name: StrategyName) => RoutingStrategy): RoutingStrategy {
  return {
    name: 'owner-first',
    pick: (input: RoutingInput) => {
      const { call, queue, owner, ownerState, now } = input;
      const others = () => {
        const strategy = fallback(queue.fallbackStrategy);
        // the owner is only among the agents when they already missed this call: leave them out
        const agents = input.agents.some((a) => a.id === call.ownerAgentId) ? input.agents.filter((a) => a.id !== call.ownerAgentId) : input.agents;
        return strategy.pick({ ...input, agents });
      };
      if (!call.ownerAgentId) return others();
      if (owner) return { agentIds: [owner.id], mode: 'first' };
      const deadline = call.enqueuedAt + queue.ownerFallbackSec * 1000;
      if (ownerState !== null && ownerState !== 'logged-out' && now < deadline) {
        return { agentIds: [], mode: 'first', wakeAt: deadline };
      }
      return others();
    },
  };
}
