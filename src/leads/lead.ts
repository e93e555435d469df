import { z } from 'zod';
import { interestLevelSchema } from './dispositions.js';

export const leadStatusSchema = z.enum(['queued', 'dialing', 'wrap-up', 'callback', 'done', 'dnc', 'exhausted']);
export type LeadStatus = z.infer<typeof leadStatusSchema>;

export const leadSchema = z.object({
  id: z.string(),
  campaignId: z.string(),
  /** E.164. */
  phone: z.string(),
  country: z.string().optional(),
  timezone: z.string(),
  /** How the zone was found: given in the import, NANP area code, country's main zone, or campaign default. */
  timezoneSource: z.enum(['given', 'area-code', 'country', 'default']),
  name: z.string().optional(),
  /** Operator-defined columns, shown in the agent's screen pop. */
  fields: z.record(z.string(), z.string()),
  interest: interestLevelSchema.optional(),
  ownerAgentId: z.string().optional(),
  /** Lead id of the customer who referred this one; the referrer's owner owns this lead too. */
  referredBy: z.string().optional(),
  status: leadStatusSchema,
  attempts: z.number().int(),
  lastOutcome: z.string().optional(),
  lastDisposition: z.string().optional(),
  nextAttemptAt: z.number().optional(),
  /** Not before this instant (abandon cooldown). */
  noCallBefore: z.number().optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Lead = z.infer<typeof leadSchema>;

export const attemptSchema = z.object({
  at: z.number(),
  campaignId: z.string(),
  outcome: z.string(),
  callId: z.string().optional(),
  agentId: z.string().optional(),
  disposition: z.string().optional(),
  ringMs: z.number().optional(),
  talkMs: z.number().optional(),
  note: z.string().optional(),
});
export type Attempt = z.infer<typeof attemptSchema>;

/** Redis hash <-> Lead. Optional fields are omitted when empty. */
export function leadToHash(l: Lead): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(l)) {
    if (v === undefined) continue;
    h[k] = k === 'fields' ? JSON.stringify(v) : String(v);
  }
  return h;
}

export function leadFromHash(h: Record<string, string>): Lead | null {
  if (!h.id) return null;
  const num = (v?: string) => (v === undefined || v === '' ? undefined : Number(v));
  return {
    id: h.id, campaignId: h.campaignId, phone: h.phone, timezone: h.timezone,
    timezoneSource: (h.timezoneSource ?? 'default') as Lead['timezoneSource'],
    fields: h.fields ? (JSON.parse(h.fields) as Record<string, string>) : {},
    status: (h.status ?? 'queued') as LeadStatus, attempts: Number(h.attempts ?? 0),
    createdAt: Number(h.createdAt ?? 0), updatedAt: Number(h.updatedAt ?? 0),
    ...(h.country ? { country: h.country } : {}),
    ...(h.name ? { name: h.name } : {}),
    ...(h.interest ? { interest: h.interest as Lead['interest'] } : {}),
    ...(h.ownerAgentId ? { ownerAgentId: h.ownerAgentId } : {}),
    ...(h.referredBy ? { referredBy: h.referredBy } : {}),
    ...(h.lastOutcome ? { lastOutcome: h.lastOutcome } : {}),
    ...(h.lastDisposition ? { lastDisposition: h.lastDisposition } : {}),
    ...(num(h.nextAttemptAt) !== undefined ? { nextAttemptAt: num(h.nextAttemptAt) } : {}),
    ...(num(h.noCallBefore) !== undefined ? { noCallBefore: num(h.noCallBefore) } : {}),
  };
}
