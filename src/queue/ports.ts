import type { BridgeResult, BridgeTarget, PromptFile } from '../calls/call-channel.js';

/**
 * What the queue needs from other domains, as narrow interfaces (the lead wires the real ones):
 * prompts from src/media/prompts.ts, lead ownership and customer records from src/leads,
 * callback requests from whoever schedules callbacks (src/scheduler or the dialer).
 */

/** Prompt files for queue announcements. Names used: see QUEUE_PROMPTS. */
export interface QueuePromptResolver {
  /** A named prompt (WAV path), e.g. 'queue-you-are-number'. */
  prompt(name: string): PromptFile;
  /** A number spoken as prompt files. */
  number(n: number): PromptFile[];
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

/** Where a caller's "call me back" goes. */
export interface CallbackSink {
  requestCallback(r: CallbackRequest): Promise<void>;
}

/** Prompts as `<dir>/<name>.wav` (and `<dir>/digits/<d>.wav`): a default until src/media/prompts.ts is wired. */
export const namedPrompts = (dir: string): QueuePromptResolver => ({
  prompt: (name) => `${dir}/${name}.wav`,
  number: (n) => String(n).split('').map((d) => `${dir}/digits/${d}.wav`),
});

/**
 * Optional call-control capability for ring-all: ring several targets at once, first answer wins
 * (the others are cancelled). Without it ring-all hunts through the reserved agents one at a time.
 */
export interface ForkingBridge {
  bridgeAny(targets: BridgeTarget[]): Promise<BridgeResult & { index?: number }>;
}
