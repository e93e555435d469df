import type { DialMode } from '../campaign.js';
import type { AgentState } from '../ports.js';
import type { LiveStats } from './live-stats.js';

export interface PacingInput {
  now: number;
  /** Agents staffing the campaign. */
  agents: AgentState[];
  /** Calls dialed and not yet answered or failed. */
  ringing: number;
  /** Answered calls waiting for an agent right now. */
  waiting: number;
  stats: LiveStats;
}

export interface PacingDecision {
  /** New calls to place now. */
  dial: number;
  /** For logs and the simulation: the pacer's view. */
  detail?: Record<string, number>;
}

/** One pacing policy per dial mode (src/dialer/pacing/<mode>.ts); called on every dialer tick. */
export interface Pacer {
  readonly mode: DialMode;
  decide(input: PacingInput): PacingDecision;
}

export const idleAgents = (agents: AgentState[]): number => agents.filter((a) => a.state === 'idle').length;
