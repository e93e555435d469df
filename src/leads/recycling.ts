import { z } from 'zod';

const MIN = 60_000;

/** How soon a lead is retried after a system outcome, and when it stops. */
export const recyclingSchema = z.object({
  busyRetryMs: z.number().int().min(0).default(10 * MIN),
  noAnswerRetryMs: z.number().int().min(0).default(120 * MIN),
  rejectedRetryMs: z.number().int().min(0).default(120 * MIN),
  failedRetryMs: z.number().int().min(0).default(30 * MIN),
  /** A lead whose call was abandoned is not called again for this long (72 h by default). */
  abandonCooldownMs: z.number().int().min(0).default(72 * 60 * MIN),
  /** A talked-to lead with a non-final, non-callback disposition. */
  dispositionRetryMs: z.number().int().min(0).default(24 * 60 * MIN),
  maxAttempts: z.number().int().min(1).max(100).default(6),
});
export type RecyclingRules = z.infer<typeof recyclingSchema>;

export type DialOutcome = 'busy' | 'no-answer' | 'rejected' | 'failed' | 'abandoned' | 'connected' | 'agentless-done';

/**
 * When to try again after a system outcome; null = leave the lead out of the queue (connected calls wait
 * for the agent's disposition; max attempts reached). `attempts` counts the attempt just made.
 */
export function nextAttemptAfter(outcome: DialOutcome, attempts: number, rules: RecyclingRules, now: number): number | null {
  if (outcome === 'connected') return null;
  if (attempts >= rules.maxAttempts) return null;
  switch (outcome) {
    case 'busy': return now + rules.busyRetryMs;
    case 'no-answer': return now + rules.noAnswerRetryMs;
    case 'rejected': return now + rules.rejectedRetryMs;
    case 'failed': return now + rules.failedRetryMs;
    case 'abandoned': return now + rules.abandonCooldownMs;
    case 'agentless-done': return null;
  }
}
