import { CANDIDATES, type RoutingStrategy } from './types.js';

/** A uniformly random available agent (the next candidates, should it be taken meanwhile, are random too). */
export const random: RoutingStrategy = {
  name: 'random',
  pick: ({ agents, random: rnd }) => {
    const pool = [...agents];
    const out: string[] = [];
    while (pool.length && out.length < CANDIDATES) {
      const i = Math.floor(rnd() * pool.length);
      out.push(pool[i].id);
      pool[i] = pool[pool.length - 1];
      pool.pop();
    }
    return { agentIds: out, mode: 'first' };
  },
};
