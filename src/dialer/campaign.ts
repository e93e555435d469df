import { z } from 'zod';
import { callingWindowsSchema } from '../compliance/calling-window.js';
import { capRuleSchema } from '../compliance/frequency-caps.js';
import { dispositionSchema, DEFAULT_DISPOSITIONS } from '../leads/dispositions.js';
import { recyclingSchema } from '../leads/recycling.js';
import { isValidZone } from '../leads/phone.js';

export const dialModeSchema = z.enum(['preview', 'progressive', 'predictive', 'agentless']);
export type DialMode = z.infer<typeof dialModeSchema>;

const e164 = z.string().regex(/^\+[1-9]\d{5,14}$/, 'E.164 number, e.g. +8610xxxxxxx');
const zone = z.string().refine(isValidZone, 'unknown IANA time zone');
const HOUR = 3600_000;

/** Everything a campaign is configured with; the create body, the stored record and the API response. */
export const campaignInputSchema = z.object({
  name: z.string().min(1).max(120),
  trunk: z.string().min(1).max(120),
  callerId: e164,
  dialMode: dialModeSchema,
  /** Agents staffing the campaign, or the ACD queue whose agents do. */
  agentIds: z.array(z.string().min(1).max(64)).max(1000).default([]),
  queueId: z.string().min(1).max(64).optional(),
  /** IVR flow for agentless (reminder) calls. */
  agentlessFlowId: z.string().min(1).max(64).optional(),
  /** Country used to read numbers without +. */
  defaultCountry: z.string().length(2).toUpperCase().default('CN'),
  /** Zone for leads whose number gives no country. */
  defaultTimezone: zone.default('Asia/Shanghai'),
  callingWindows: callingWindowsSchema.default(callingWindowsSchema.parse({})),
  retry: recyclingSchema.default(recyclingSchema.parse({})),
  /** Maximum abandoned / live-answered calls over the rolling window. */
  abandonRateTarget: z.number().min(0).max(0.2).default(0.03),
  /** Rolling window for the abandon rate, per jurisdiction (e.g. 24 h; 30 days for the US TSR). */
  abandonWindowMs: z.number().int().min(HOUR).max(31 * 24 * HOUR).default(24 * HOUR),
  /** Ring at least 15 s before giving up. */
  ringTimeoutMs: z.number().int().min(15_000).max(120_000).default(25_000),
  /** An answered call with no free agent within this delay gets the safe-harbor message and counts as abandoned. */
  abandonGraceMs: z.number().int().min(0).max(2_000).default(2_000),
  safeHarborPrompt: z.string().min(1).max(200).default('safe-harbor'),
  maxLinesPerAgent: z.number().min(1).max(10).default(4),
  /** Concurrent lines of an agentless campaign. */
  agentlessLines: z.number().int().min(1).max(500).default(10),
  /**
   * Owned leads (seeds: one rep per customer): 'prefer' connects the owner when free, else any agent;
   * 'strict' dials an owned lead only while its owner is idle and connects only the owner.
   */
  ownerRouting: z.enum(['prefer', 'strict']).default('prefer'),
  recording: z.object({
    mode: z.enum(['all', 'none', 'agent-choice']).default('all'),
    /** Play the "this call is recorded" notice before connecting. */
    notice: z.boolean().default(true),
  }).default({ mode: 'all', notice: true }),
  /** Toll-fraud guard: a number not starting with one of these is never dialed. */
  allowedPrefixes: z.array(z.string().regex(/^\+\d{1,8}$/)).min(1).max(100),
  /** How long a refusal keeps the number on the campaign DNC list; 0 = permanent. */
  refusalDncDays: z.number().int().min(0).max(3650).default(180),
  dispositions: z.array(dispositionSchema).min(1).max(50).default(DEFAULT_DISPOSITIONS),
  status: z.enum(['draft', 'running', 'paused', 'stopped']).default('draft'),
}).refine((c) => c.dialMode !== 'agentless' || c.agentlessFlowId, { message: 'agentless campaigns need agentlessFlowId', path: ['agentlessFlowId'] });

export const campaignSchema = campaignInputSchema.and(z.object({
  id: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
}));

export type CampaignInput = z.input<typeof campaignInputSchema>;
export type Campaign = z.infer<typeof campaignSchema>;

/** Global caps are not per campaign (they span all campaigns) but are exposed with the same schema. */
export const globalCapsSchema = z.array(capRuleSchema);
