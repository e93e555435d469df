import type { CallChannel } from '../calls/call-channel.js';
import type { EnqueueOptions, QueueOutcome } from '../queue/queue-outcome.js';

/**
 * What the scheduler needs from the other areas, as narrow injected interfaces. The lead wires the real
 * ones (see compliance-adapter.ts for src/compliance; src/calls Originator, src/queue QueueService and
 * src/agents AgentStateService fit as noted); unit tests use fakes.
 */

/** Who/what is about to be called; `scopeId` is the campaign (callbacks) or portfolio (payment reminders). */
export interface DialTarget {
  phone: string;
  /** IANA zone of the customer. */
  timezone: string;
  scopeId: string;
  leadId?: string;
}

export type DialDecision =
  | { allowed: true }
  | { allowed: false; reason: string; detail?: string; nextAllowedAt?: number };

/**
 * Calling windows, DNC and frequency caps, checked at the moment a job fires (not only when scheduled).
 * `consume` counts the attempt against the frequency caps when allowed (pass true right before dialling).
 * src/scheduler/compliance-adapter.ts builds one over src/compliance CompliancePolicy.
 */
export interface DialGuard {
  check(target: DialTarget, now: number, opts?: { consume?: boolean }): Promise<DialDecision>;
}

/** Stop reminders for a number in one portfolio (IVR key 3): src/compliance DncStore via compliance-adapter.ts. */
export interface OptOutSink {
  optOut(phone: string, scopeId: string, reason: string): Promise<void>;
}

export interface OriginateRequest {
  to: string;
  callerId: string;
  ringTimeoutMs?: number;
  headers?: Record<string, string>;
}

export type OriginateResult =
  | { outcome: 'answered'; call: CallChannel }
  | { outcome: 'busy' | 'no-answer' | 'rejected' | 'failed'; sipStatus?: number };

/** Outbound call to a customer. src/calls/originator.ts `Originator` satisfies this as is. */
export interface Originator {
  originate(req: OriginateRequest): Promise<OriginateResult>;
}

/** Is an agent free to take a callback now? Adapter over src/agents AgentStateService: `(await get(id)).state === 'available'`. */
export interface AgentAvailability {
  isAvailable(agentId: string): Promise<boolean>;
}

/** What a callback looks like to the agent desktop / dialer (phone is the real number: the dialer masks for display). */
export interface CallbackOffer {
  callbackId: string;
  phone: string;
  leadId?: string;
  campaignId?: string;
  queueId?: string;
  note?: string;
  dueAt: number;
}

/**
 * What became of the customer leg when the preview dialer dials it itself (agent first, then the customer):
 * 'not-dialled' when `beforeCustomerDial` said no; 'agent-gone' when the agent hung up while the customer rang.
 */
export type PreviewCustomerOutcome = 'connected' | 'busy' | 'no-answer' | 'rejected' | 'failed' | 'agent-gone' | 'not-dialled';

export interface PreviewResult {
  accepted: boolean;
  callId?: string;
  /** Set by dialers that dial the customer themselves; absent when the agent dials (the callback stays 'offered'). */
  customer?: PreviewCustomerOutcome;
}

export interface PreviewHooks {
  /**
   * Called once the agent has taken the preview, right before the customer is dialled: the runner counts the attempt
   * (frequency caps) and claims the dial (no second call after a crash). false = do not dial.
   */
  beforeCustomerDial?(): Promise<boolean>;
}

/**
 * Preview dialling: show the callback to the owner agent, who then dials (or the dialer dials on accept).
 * Resolves `accepted: false` when the agent declines or does not answer the preview in time.
 */
export interface PreviewDialer {
  offerToAgent(agentId: string, callback: CallbackOffer, hooks?: PreviewHooks): Promise<PreviewResult>;
}

/** The ACD. src/queue QueueService satisfies this as is (same shape as src/ivr/ports.ts QueueEntry). */
export interface QueueEntry {
  enqueue(call: CallChannel, opts: EnqueueOptions): Promise<QueueOutcome>;
}

/** Outcome of a callback handed to "any agent" (originate the customer, then queue). */
export type AnyAgentOutcome =
  | { outcome: 'queued'; queueOutcome: QueueOutcome['outcome'] }
  | { outcome: 'busy' | 'no-answer' | 'rejected' | 'failed' };

/** Puts a due callback in front of any agent. Default implementation: any-agent-dispatch.ts (Originator + QueueEntry). */
export interface AnyAgentDispatch {
  queueForAnyAgent(callback: CallbackOffer): Promise<AnyAgentOutcome>;
}

/** Fan-out to the agent WebSocket feed: the EventBus (src/events/bus.ts) satisfies this. */
export interface EventPublisher {
  publish(topic: string, event: { type: string; [k: string]: unknown }): Promise<void>;
}

/** The payment reminder call, as ReminderCallRunner so the job handler can run it with a fake in tests. */
export type { ReminderCallResult, ReminderCallRunner } from './reminder-call.js';

/** The recording retention sweep (src/recording/recording-store.ts RecordingStore.enforceRetention). */
export type RetentionSweep = (now: Date) => Promise<{ deleted: number; failed: number }>;
