import { byIdle, ranked, type RoutingStrategy } from './types.js';

/** The agent with the least talk time today; ties to the longest idle. */
export const leastTalkTime: RoutingStrategy = {
  name: 'least-talk-time',
  needsDailyTotals: true,
  pick: ({ agents }) => ranked(agents, (a, b) => a.talkMsToday - b.talkMsToday || byIdle(a, b)),
};
