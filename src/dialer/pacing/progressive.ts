import { idleAgents, type Pacer, type PacingDecision, type PacingInput } from './pacer.js';

/**
 * Progressive: one call per idle agent, the agent reserved before dialing, so no call is ever
 * answered without an agent (abandon rate 0) at the cost of agents waiting through every ring.
 */
export class ProgressivePacer implements Pacer {
  readonly mode = 'progressive' as const;
  decide(i: PacingInput): PacingDecision {
    // Reserved agents are the ones whose calls are ringing, so idle agents are exactly the free ones.
    return { dial: idleAgents(i.agents) };
  }
}
