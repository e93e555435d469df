import type { Skills } from '../../agents/agent-schema.js';
import { byIdle, ranked, type RoutingAgent, type RoutingStrategy } from './types.js';

/** The queue's required skills merged with the call's own (the higher minimum wins). */
export function requiredSkills(queueSkills: Skills, callSkills: Skills): Skills {
  const out: Skills = { ...queueSkills };
  for (const [k, v] of Object.entries(callSkills)) out[k] = Math.max(out[k] ?? 0, v);
  return out;
}

/** Sum of the agent's levels in the required skills, or -1 when a skill is missing or below its minimum. */
export function skillScore(agent: RoutingAgent, required: Skills): number {
  let score = 0;
  for (const [skill, min] of Object.entries(required)) {
    const level = agent.skills[skill] ?? 0;
    if (level < min) return -1;
    score += level;
  }
  return score;
}

/** Only agents meeting every required skill at its minimum level; the best levels first, then longest idle. */
export const skillsBased: RoutingStrategy = {
  name: 'skills-based',
  needsSkills: true,
  pick: ({ agents, queue, call }) => {
    const req = requiredSkills(queue.requiredSkills, call.requiredSkills);
    const scored = new Map<string, number>();
    const fit: RoutingAgent[] = [];
    for (const a of agents) {
      const s = skillScore(a, req);
      if (s >= 0) {
        scored.set(a.id, s);
        fit.push(a);
      }
    }
    return ranked(fit, (a, b) => scored.get(b.id)! - scored.get(a.id)! || byIdle(a, b));
  },
};
