import { z } from 'zod';

export const callbackStatusSchema = z.enum([
  'scheduled', // waiting for its due time (or for the owner, or for the calling window)
  'offered', // previewed to the owner agent
  'queued', // customer called and queued for any agent
  'done', // completed by the agent or the queue
  'cancelled',
  'blocked', // DNC or no calling window at all: will not be called
  'failed', // no answer after every attempt
]);
export type CallbackStatus = z.infer<typeof callbackStatusSchema>;

export const callbackSourceSchema = z.enum(['agent', 'ivr', 'queue', 'api', 'follow-up']);

export const callbackEventSchema = z.object({ at: z.number(), event: z.string(), detail: z.string().optional() });

export const callbackSchema = z.object({
  id: z.string(),
  phone: z.string(),
  timezone: z.string(),
  leadId: z.string().optional(),
  campaignId: z.string().optional(),
  queueId: z.string().optional(),
  ownerAgentId: z.string().optional(),
  /** Only the owner may take it (the queue is the fallback after ownerWaitMs). */
  ownerOnly: z.boolean(),
  dueAt: z.number(),
  requestedAt: z.number(),
  status: callbackStatusSchema,
  source: callbackSourceSchema,
  note: z.string().optional(),
  planId: z.string().optional(),
  createdBy: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  /** Dial attempts (no-answer retries). */
  attempts: z.number(),
  /** Give up waiting for the owner after this time and queue for any agent. */
  ownerWaitUntil: z.number().optional(),
  history: z.array(callbackEventSchema),
});
export type Callback = z.infer<typeof callbackSchema>;

export interface CreateCallbackInput {
  phone: string;
  timezone?: string;
  leadId?: string;
  campaignId?: string;
  queueId?: string;
  ownerAgentId?: string;
  ownerOnly?: boolean;
  /** ms epoch; default: now (the next allowed time is found when it fires). */
  dueAt?: number;
  source: Callback['source'];
  note?: string;
  planId?: string;
  createdBy: string;
  /** Same key -> same callback and the same job (retries of one request create nothing new). */
  idempotencyKey?: string;
}
