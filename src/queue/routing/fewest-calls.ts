import { byIdle, ranked, type RoutingStrategy } from './types.js';

/** The agent who answered the fewest calls today; ties to the longest idle. */
export const fewestCalls: RoutingStrategy = {
  name: 'fewest-calls',
  needsDailyTotals: true,
  pick: ({ agents }) => ranked(agents, (a, b) => a.callsToday - b.callsToday || byIdle(a, b)),
};
