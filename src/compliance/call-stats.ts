import type { Redis } from 'ioredis';
import type { Keys } from '../redis.js';

const HOUR = 3600_000;

export type CallMetric = 'dialed' | 'answered' | 'connected' | 'abandoned' | 'outsideHours';

export interface WindowStats {
  from: number;
  to: number;
  dialed: number;
  answered: number;
  connected: number;
  abandoned: number;
  outsideHours: number;
  /** abandoned / live-answered; 0 when nothing was answered. */
  abandonRate: number;
}

/**
 * Per-campaign call counters in hour buckets (one Redis hash per campaign, field `<hour>:<metric>`).
 * Feeds the compliance report and seeds the pacer's rolling abandon window after a restart.
 */
export class CallStatsStore {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  async incr(campaignId: string, metric: CallMetric, at = Date.now(), by = 1): Promise<void> {
    await this.redis.hincrby(this.keys.k('cstats', campaignId), `${Math.floor(at / HOUR)}:${metric}`, by);
  }

  /** Totals in [from, to) at hour granularity. */
  async totals(campaignId: string, from: number, to: number): Promise<WindowStats> {
    const all = await this.buckets(campaignId);
    return sum(all.filter((b) => b.from >= Math.floor(from / HOUR) * HOUR && b.from < to), from, to);
  }

  /** Consecutive windows of `windowMs` covering [from, to). */
  async perWindow(campaignId: string, from: number, to: number, windowMs: number): Promise<WindowStats[]> {
    const all = await this.buckets(campaignId);
    const out: WindowStats[] = [];
    for (let s = from; s < to; s += windowMs) {
      const e = Math.min(s + windowMs, to);
      out.push(sum(all.filter((b) => b.from >= Math.floor(s / HOUR) * HOUR && b.from < e), s, e));
    }
    return out;
  }

  private async buckets(campaignId: string): Promise<(Record<CallMetric, number> & { from: number })[]> {
    const h = await this.redis.hgetall(this.keys.k('cstats', campaignId));
    const byHour = new Map<number, Record<CallMetric, number> & { from: number }>();
    for (const [field, v] of Object.entries(h)) {
      const [hour, metric] = field.split(':');
      const from = Number(hour) * HOUR;
      let b = byHour.get(from);
      if (!b) byHour.set(from, (b = { from, dialed: 0, answered: 0, connected: 0, abandoned: 0, outsideHours: 0 }));
      b[metric as CallMetric] = Number(v);
    }
    return [...byHour.values()];
  }
}

function sum(bs: Record<CallMetric, number>[], from: number, to: number): WindowStats {
  const t = { from, to, dialed: 0, answered: 0, connected: 0, abandoned: 0, outsideHours: 0, abandonRate: 0 };
  for (const b of bs) {
    t.dialed += b.dialed; t.answered += b.answered; t.connected += b.connected;
    t.abandoned += b.abandoned; t.outsideHours += b.outsideHours;
  }
  t.abandonRate = t.answered ? t.abandoned / t.answered : 0;
  return t;
}
