import type { Skills } from '../../agents/agent-schema.js';
import { byIdle, CANDIDATES, type RoutingAgent, type RoutingStrategy } from './types.js';

/** The queue's required skills merged with the call's own (the higher minimum wins). */
export function requiredSkills(queueSkills: Skills, callSkills: Skills): Skills {
  const out: Skills = { ...queueSkills };
  for (const [k, v] of Object.entries(callSkills)) out[k] = Math.max(out[k] ?? 0, v);
  return out;
}

/** Only agents meeting every required skill at its minimum level; the best levels first, then longest idle. */
export const skillsBased: RoutingStrategy = {
  name: 'skills-based',
  needsSkills: true,
  pick: ({ agents, queue, call }) => {
    const req = Object.entries(requiredSkills(queue.requiredSkills, call.requiredSkills));
    const scored: { a: RoutingAgent; s: number }[] = [];
    for (const a of agents) {
      let s = 0;
      for (const [skill, min] of req) {
        const level = a.skills[skill] ?? 0;
        if (level < min) { s = -1; break; }
        s += level;
      }
      if (s >= 0) scored.push({ a, s });
    }
    // keep the best few by score in one pass (a queue may have a thousand idle agents)
    const top: { a: RoutingAgent; s: number }[] = [];
    const better = (x: { a: RoutingAgent; s: number }, y: { a: RoutingAgent; s: number }) => y.s - x.s || byIdle(x.a, y.a);
    for (const x of scored) {
      if (top.length < CANDIDATES) {
        top.push(x);
        top.sort(better);
      } else if (better(x, top[top.length - 1]) < 0) {
        top[top.length - 1] = x;
        top.sort(better);
      }
    }
    return { agentIds: top.map((x) => x.a.id), mode: 'first' };
  },
};
