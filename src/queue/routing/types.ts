import type { Skills } from '../../agents/agent-schema.js';
import type { AgentState } from '../../agents/agent-schema.js';
import type { QueueConfig } from '../queue-schema.js';

/** An available agent as a strategy sees it (a snapshot read from Redis for one routing pass). */
export interface RoutingAgent {
  id: string;
  /** When the agent last became available (ms): longest-idle picks the smallest. */
  availableSince: number;
  skills: Skills;
  /** Answered calls today and talk time today (fewest-calls, least-talk-time). */
  callsToday: number;
  talkMsToday: number;
}

export interface RoutingCall {
  callId: string;
  priority: number;
  enqueuedAt: number;
  /** Skills this call needs on top of the queue's requiredSkills. */
  requiredSkills: Skills;
  /** owner-first: the agent who owns this customer (null: nobody). */
  ownerAgentId: string | null;
}

export interface RoutingInput {
  call: RoutingCall;
  queue: QueueConfig;
  /** Available members of the queue not yet tried for this call, in no particular order. */
  agents: RoutingAgent[];
  /** owner-first: the owner when available right now (may be outside the queue's members). */
  owner: RoutingAgent | null;
  /** owner-first: the owner's current state (logged-out owners are not waited for). */
  ownerState: AgentState | null;
  now: number;
  /** round-robin: the agent offered last in this queue. */
  lastAgentId: string | null;
  random: () => number;
}

export interface RoutingDecision {
  /** Agents to reserve, best first. 'first': the first still available gets the call; 'all': ring them all. */
  agentIds: string[];
  mode: 'first' | 'all';
  /** No agent now, but decide again at this time (owner-first fallback deadline). */
  wakeAt?: number;
}

/** A routing strategy: a pure, synchronous choice over a snapshot, so it is fast and unit-testable. */
export interface RoutingStrategy {
  name: string;
  /** Reads today's per-agent call counts / talk time (costs a Redis read per agent). */
  needsDailyTotals?: boolean;
  /** Reads the agents' skills (costs a Redis read per available agent). */
  needsSkills?: boolean;
  pick(input: RoutingInput): RoutingDecision;
}

/** How many ranked candidates a 'first' decision hands to the reservation script (covers races in one round trip). */
export const CANDIDATES = 5;

export function ranked(agents: RoutingAgent[], better: (a: RoutingAgent, b: RoutingAgent) => number): RoutingDecision {
  // partial selection: only the best few are needed, and queues may have a thousand idle agents
  const top: RoutingAgent[] = [];
  for (const a of agents) {
    if (top.length < CANDIDATES) {
      top.push(a);
      top.sort(better);
    } else if (better(a, top[top.length - 1]) < 0) {
      top[top.length - 1] = a;
      top.sort(better);
    }
  }
  return { agentIds: top.map((a) => a.id), mode: 'first' };
}

/** Ties go to whoever waited longest, then by id so every instance decides the same. */
export function byIdle(a: RoutingAgent, b: RoutingAgent): number {
  return a.availableSince - b.availableSince || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
