import type { RoutingStrategy } from './types.js';
import { CANDIDATES } from './types.js';

/** Agents take turns in id order, starting after the one offered last in this queue. */
export const roundRobin: RoutingStrategy = {
  name: 'round-robin',
  pick: ({ agents, lastAgentId }) => {
    const ids = agents.map((a) => a.id).sort();
    const start = lastAgentId === null ? 0 : ids.findIndex((id) => id > lastAgentId);
    const from = start < 0 ? 0 : start;
    const order = [...ids.slice(from), ...ids.slice(0, from)];
    return { agentIds: order.slice(0, CANDIDATES), mode: 'first' };
  },
};
