import type { CallChannel, PromptFile } from '../calls/call-channel.js';
import type { CurrencyCode, Lang } from '../media/prompt-catalog.js';
import type { EnqueueOptions, QueueOutcome } from '../queue/queue-outcome.js';

export type { EnqueueOptions, QueueOutcome };

/**
 * What IVR tasks need from the other areas, as narrow injected interfaces. The live wiring adapts the
 * ACD (src/queue), the callback scheduler, the agent directory and the media prompt set to these;
 * unit tests use fakes. Names mirror src/media/prompts.ts (PromptSet) where they overlap.
 */

export type IvrLanguage = Lang;

/**
 * Prompt keys -> WAV files in the session language; digits, numbers, dates and amounts as file lists.
 * src/media/prompts.ts PromptSet satisfies this as is (it throws PromptNotFoundError for a missing key,
 * RangeError for numbers it cannot say: the task fails and the session goes to onError).
 */
export interface PromptResolver {
  file(key: string, lang: IvrLanguage): PromptFile;
  sayDigits(s: string, lang: IvrLanguage): PromptFile[];
  /** Integers 0..999,999,999. */
  sayNumber(n: number, lang: IvrLanguage): PromptFile[];
  sayDate(d: Date, lang: IvrLanguage, opts?: { timeZone?: string }): PromptFile[];
  sayCurrency(amount: number, currency: CurrencyCode, lang: IvrLanguage): PromptFile[];
}

/**
 * The ACD (src/queue QueueService satisfies this as is): holds the caller until an agent has talked to
 * them ('completed'), the caller leaves, or the queue gives up (timeout / empty / exit key / error).
 */
export interface QueueEntry {
  enqueue(call: CallChannel, opts: EnqueueOptions): Promise<QueueOutcome>;
}

export interface CallbackRequest {
  /** E.164 or the caller's number as presented. */
  phone: string;
  leadId?: string;
  queueId?: string;
  /** Earliest time to call back; the scheduler picks the next allowed slot when absent. */
  when?: Date;
  vars: Record<string, string>;
}

export interface CallbackRequester {
  requestCallback(req: CallbackRequest): Promise<{ id: string; scheduledFor?: Date }>;
}

/** Post-call satisfaction scores (src/kpi KpiCounters satisfies this); one score per call. */
export interface SurveyRecorder {
  recordSurvey(s: { callId: string; agentId: string; score: number }): Promise<'recorded' | 'duplicate'>;
}

/** Agent softphone contacts (src/agents AgentDirectory satisfies this). */
export interface AgentContacts {
  /** null when the agent is unknown or not registered. */
  contactFor(agentId: string): Promise<string | null>;
}

/** External numbers -> SIP URIs via the trunk; null when the number is not allowed (toll-fraud guard). */
export interface ExternalDialPlan {
  externalUri(number: string): Promise<string | null>;
}
