import type { CallChannel } from '../calls/call-channel.js';

/**
 * What the dialer needs from the other areas, as narrow injected interfaces. The live wiring adapts
 * src/calls (originate), src/agents + src/queue (agent pool) and src/ivr (agentless flows) to these;
 * the tests and the pacing simulation use fakes.
 */

export interface OriginateRequest {
  /** E.164 destination; already passed the toll-fraud guard. */
  to: string;
  callerId: string;
  /** Campaign's SIP trunk name. */
  trunk: string;
  /** Ring at least this long before no-answer (campaign ringTimeoutMs, >= 15 s). */
  ringTimeoutMs: number;
  campaignId: string;
  leadId: string;
  /** Extra SIP headers for the outbound INVITE (e.g. X-Campaign-Id / X-Lead-Id). */
  headers?: Record<string, string>;
  /** The campaign's toll-fraud prefixes, so call control can enforce the same list again. */
  allowedPrefixes?: readonly string[];
}

export type OriginateResult =
  | { outcome: 'answered'; call: CallChannel; ringMs: number }
  | { outcome: 'busy' | 'no-answer' | 'rejected' | 'failed'; ringMs: number; sipStatus?: number; reason?: string };

export interface Originator {
  /** Dials through the trunk; resolves when answered (with the live channel) or with the failure outcome. */
  originate(req: OriginateRequest): Promise<OriginateResult>;
}

export type AgentActivity = 'idle' | 'reserved' | 'talking' | 'wrap' | 'away';

export interface AgentState {
  agentId: string;
  state: AgentActivity;
  /** When the agent entered this state (ms epoch). */
  sinceMs: number;
}

export interface AgentReservation {
  agentId: string;
  reservationId: string;
}

/** What the agent's desktop shows when the customer is connected. Phone masked for agents. */
export interface ScreenPop {
  campaignId: string;
  leadId: string;
  callId?: string;
  name?: string;
  phoneMasked: string;
  fields: Record<string, string>;
  interest?: string;
  attempts: number;
  ownerAgentId?: string;
}

export interface ReserveRequest {
  campaignId: string;
  /** The lead's owner: tried first (seeds: a customer belongs to one rep). */
  preferredAgentId?: string;
  /** Only the preferred agent will do. */
  onlyPreferred?: boolean;
  /** Wait up to this long for an agent to free up (0 = now or never). */
  waitMs: number;
}

export interface AgentPool {
  /** Agents staffing the campaign right now, with their activity. */
  snapshot(campaignId: string): Promise<AgentState[]>;
  /** Takes an idle agent off the market for this call; null when none became free within waitMs. */
  reserve(req: ReserveRequest): Promise<AgentReservation | null>;
  /**
   * Bridges the answered customer call to the reserved agent and pushes the screen pop. Resolves once
   * bridged (the agent then talks; wrap-up and disposition follow via the agent desktop) or failed
   * (the dialer then treats the call as abandoned).
   */
  connect(r: AgentReservation, call: CallChannel, pop: ScreenPop): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** Gives back a reservation that was not connected. */
  release(r: AgentReservation): Promise<void>;
}

export interface AgentlessResult {
  completed: boolean;
  /** The customer pressed the opt-out key: the number goes on the campaign's DNC list. */
  optOut?: boolean;
  /** Free-form flow result, stored with the attempt. */
  result?: string;
}

export interface AgentlessRunner {
  /** Runs an IVR flow (e.g. a payment reminder) on an answered outbound call; resolves when it ends. */
  run(call: CallChannel, req: { flowId: string; campaignId: string; leadId: string; pop: ScreenPop }): Promise<AgentlessResult>;
}
