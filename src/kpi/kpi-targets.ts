import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../redis.js';
import { daySchema } from './kpi-range.js';

export const targetPeriodSchema = z.enum(['month', 'quarter', 'year']);
export type TargetPeriod = z.infer<typeof targetPeriodSchema>;

/** A per-person target for one month, quarter or year (seeds 002 §8: targets broken down per person). */
export const kpiTargetInputSchema = z.object({
  period: targetPeriodSchema,
  periodStart: daySchema,
  talkMinutes: z.number().positive().optional(),
  conversions: z.number().int().positive().optional(),
  /** 0..1 */
  connectRate: z.number().gt(0).max(1).optional(),
  /** Average survey score, 1..5. */
  satisfaction: z.number().min(1).max(5).optional(),
}).superRefine((t, ctx) => {
  const [, m, d] = t.periodStart.split('-').map(Number);
  const ok = d === 1 && (t.period === 'month' || (t.period === 'quarter' && (m - 1) % 3 === 0) || (t.period === 'year' && m === 1));
  if (!ok) ctx.addIssue({ code: 'custom', path: ['periodStart'], message: `periodStart must be the first day of a ${t.period}` });
  if (t.talkMinutes === undefined && t.conversions === undefined && t.connectRate === undefined && t.satisfaction === undefined) {
    ctx.addIssue({ code: 'custom', path: [], message: 'at least one target figure is required' });
  }
});
export type KpiTargetInput = z.infer<typeof kpiTargetInputSchema>;
export type KpiTarget = KpiTargetInput & { agentId: string; periodEnd: string };

/** Last day (inclusive) of the period starting at periodStart. */
export function periodEnd(period: TargetPeriod, periodStart: string): string {
  const [y, m] = periodStart.split('-').map(Number);
  const months = period === 'month' ? 1 : period === 'quarter' ? 3 : 12;
  return new Date(Date.UTC(y, m - 1 + months, 0)).toISOString().slice(0, 10);
}

/** Targets per agent: one hash per agent, field `<period>:<periodStart>`. */
export class KpiTargetStore {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  private key(agentId: string): string { return this.keys.k('kpitargets', agentId); }

  async put(agentId: string, t: KpiTargetInput): Promise<KpiTarget> {
    const out: KpiTarget = { ...t, agentId, periodEnd: periodEnd(t.period, t.periodStart) };
    await this.redis.hset(this.key(agentId), `${t.period}:${t.periodStart}`, JSON.stringify(out));
    return out;
  }

  async list(agentId: string): Promise<KpiTarget[]> {
    const h = await this.redis.hgetall(this.key(agentId));
    return Object.values(h).map((v) => JSON.parse(v) as KpiTarget).sort((a, b) => a.periodStart.localeCompare(b.periodStart) || a.period.localeCompare(b.period));
  }

  /** Targets whose period overlaps [from, to]. */
  async overlapping(agentId: string, from: string, to: string): Promise<KpiTarget[]> {
    return (await this.list(agentId)).filter((t) => t.periodStart <= to && t.periodEnd >= from);
  }
}
