import { byIdle, ranked, type RoutingStrategy } from './types.js';

/** The agent who has been available the longest gets the call. */
export const longestIdle: RoutingStrategy = {
  name: 'longest-idle',
  pick: ({ agents }) => ranked(agents, byIdle),
};
