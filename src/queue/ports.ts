import type { BridgeResult, BridgeTarget, PromptFile } from '../calls/call-channel.js';
import type { Lang } from '../media/prompt-catalog.js';

/**
 * What the queue needs from other domains, as narrow interfaces (the lead wires the real ones):
 * prompts from src/media/prompts.ts, lead ownership and customer records from src/leads,
 * callback requests from whoever schedules callbacks (src/scheduler or the dialer).
 */

/**
 * Prompt files for queue announcements, in the caller's language (the IVR's `lang` variable) when given.
 * src/media/prompts.ts PromptSet satisfies this as is.
 */
export interface QueuePromptResolver {
  /** A prompt by key (WAV path), e.g. 'queue-you-are-number'; throws when there is no such file. */
  file(key: string, lang?: Lang): PromptFile;
  /** A number spoken as prompt files. */
  sayNumber(n: number, lang?: Lang): PromptFile[];
}

/** The prompt names the queue asks the resolver for (the media engineer provides these recordings). */
export const QUEUE_PROMPTS = {
  youAreNumber: 'queue-you-are-number',
  inLine: 'queue-in-line',
  estimatedWait: 'queue-estimated-wait',
  minutes: 'queue-minutes',
  lessThanAMinute: 'queue-less-than-a-minute',
  callbackOffer: 'queue-callback-offer',
  callbackConfirmed: 'queue-callback-confirmed',
} as const;

/** Lead ownership (src/leads/owner-lookup.ts satisfies this): E.164 number (starts with '+') or a lead id. */
export interface OwnerLookup {
  ownerOf(phoneOrLeadId: string): Promise<string | null>;
}

/** The customer record shown in the agent's screen pop. */
export interface CustomerLookup {
  find(q: { phone: string; leadId?: string }): Promise<Record<string, unknown> | null>;
}

export interface CallbackRequest {
  queueId: string;
  callId: string;
  phone: string;
  leadId?: string;
  vars?: Record<string, string>;
  reason: 'exit-key' | 'overflow';
}

/** Where a caller's "call me back" goes (src/scheduler CallbackService satisfies this). */
export interface CallbackSink {
  requestCallback(r: CallbackRequest): Promise<unknown>;
}

/** Prompts as `<dir>/<key>.wav` (numbers digit by digit): for tests and set-ups without the media PromptSet. */
export const namedPrompts = (dir: string): QueuePromptResolver => ({
  file: (key) => `${dir}/${key}.wav`,
  sayNumber: (n) => String(n).split('').map((d) => `${dir}/digits/${d}.wav`),
});

/**
 * Optional call-control capability for ring-all: ring several targets at once, first answer wins
 * (the others are cancelled). Without it ring-all hunts through the reserved agents one at a time.
 */
export interface ForkingBridge {
  bridgeAny(targets: BridgeTarget[]): Promise<BridgeResult & { index?: number }>;
}
