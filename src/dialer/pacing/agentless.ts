import type { Pacer, PacingDecision, PacingInput } from './pacer.js';

/** Agentless (reminders): a fixed number of concurrent lines each running an IVR flow; no agents involved. */
export class AgentlessPacer implements Pacer {
  readonly mode = 'agentless' as const;
  constructor(private readonly maxConcurrentCalls: number, private readonly active: () => number) {}
  decide(i: PacingInput): PacingDecision {
    return { dial: Math.max(0, this.maxConcurrentCalls - i.ringing - this.active()) };
  }
}
