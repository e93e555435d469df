import { byIdle, type RoutingStrategy } from './types.js';

/** Every available agent is offered the call at once; the first to answer takes it. */
export const ringAll: RoutingStrategy = {
  name: 'ring-all',
  pick: ({ agents }) => ({ agentIds: [...agents].sort(byIdle).map((a) => a.id), mode: 'all' }),
};
