import type { DialOutcome } from '../leads/recycling.js';
import type { Campaign } from './campaign.js';

/** The lead fields the dialer uses. */
export interface DialLead {
  id: string;
  campaignId: string;
  phone: string;
  timezone: string;
  name?: string;
  fields: Record<string, string>;
  interest?: string;
  ownerAgentId?: string;
  attempts: number;
}

export interface ClaimedLead {
  lead: DialLead;
  /** Opaque lock handle of the queue implementation. */
  lock?: unknown;
}

export interface CallOutcome {
  outcome: DialOutcome;
  at: number;
  callId?: string;
  agentId?: string;
  ringMs?: number;
  talkMs?: number;
  result?: string;
  /** Agentless flow: the customer asked not to be called again. */
  optOut?: boolean;
}

export interface ClaimRequest {
  campaign: Campaign;
  count: number;
  now: number;
  /** Lock holder name (dialer instance or agent). */
  holder: string;
  /** Extra filter, e.g. strict owner routing or the previewing agent's own leads. */
  eligible?: (lead: DialLead) => boolean;
}

/**
 * Where the dialer gets leads and reports outcomes. The Redis implementation locks each claimed lead and runs
 * the compliance policy (DNC, windows, caps, toll-fraud guard) at claim time; the simulation uses an in-memory one.
 */
export interface LeadQueue {
  /** Up to `count` due leads that passed compliance, each locked for this holder. */
  claim(req: ClaimRequest): Promise<ClaimedLead[]>;
  /** Gives a claimed lead back untouched (nothing was dialed). */
  unclaim(c: ClaimedLead): Promise<void>;
  /** Keeps a long call's lead locked (called every minute while connected). */
  extend?(c: ClaimedLead): Promise<void>;
  /** Stores the attempt, reschedules per the recycling rules and unlocks. */
  recordOutcome(c: ClaimedLead, o: CallOutcome): Promise<void>;
}
