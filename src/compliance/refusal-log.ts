import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../redis.js';
import type { Logger } from '../logger.js';

export const refusalReasonSchema = z.enum([
  'destination-not-allowed', 'dnc-global', 'dnc-campaign', 'outside-calling-window', 'frequency-cap',
  'abandon-cooldown', 'max-attempts', 'lead-locked', 'invalid-number', 'no-calling-window',
]);
export type RefusalReason = z.infer<typeof refusalReasonSchema>;

export interface Refusal {
  at: number;
  campaignId: string;
  leadId: string;
  phone: string;
  reason: RefusalReason;
  detail?: string;
  nextAllowedAt?: number;
}

/**
 * Every refusal to dial, with its reason: a capped Redis stream per campaign (for review) plus counters
 * per reason (for the compliance report), and a log line.
 */
export class RefusalLog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly log?: Logger,
    private readonly maxEntries = 100_000,
  ) {}

  async record(r: Refusal): Promise<void> {
    this.log?.info({ campaignId: r.campaignId, leadId: r.leadId, reason: r.reason, detail: r.detail }, 'dial refused');
    await this.redis.multi()
      .xadd(this.keys.k('refusals', r.campaignId), 'MAXLEN', '~', this.maxEntries, '*', 'json', JSON.stringify(r))
      .hincrby(this.keys.k('refusalcount', r.campaignId), r.reason, 1)
      .exec();
  }

  async list(campaignId: string, count = 100): Promise<Refusal[]> {
    const rows = await this.redis.xrevrange(this.keys.k('refusals', campaignId), '+', '-', 'COUNT', count);
    return rows.map(([, f]) => JSON.parse(f[1]) as Refusal);
  }

  async counts(campaignId: string): Promise<Partial<Record<RefusalReason, number>>> {
    const h = await this.redis.hgetall(this.keys.k('refusalcount', campaignId));
    return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Number(v)]));
  }
}
