import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../redis.js';

/** 'global' or a campaign id: the list an entry belongs to. */
export type DncScope = 'global' | `campaign:${string}`;

export const dncSourceSchema = z.enum(['manual', 'import', 'disposition', 'ivr-opt-out', 'api']);

export interface DncEntry {
  phone: string;
  scope: DncScope;
  /** ms since epoch; undefined = permanent. */
  expiresAt?: number;
  reason: string;
  source: z.infer<typeof dncSourceSchema>;
  addedAt: number;
}

export type DncCheck = { listed: false } | { listed: true; entry: DncEntry };

export const campaignScope = (campaignId: string): DncScope => `campaign:${campaignId}`;

/**
 * Do-not-call lists in Redis: one sorted set per scope (member phone, score expiry ms, +inf when permanent)
 * plus a hash with the entry details. Expired entries stop matching at once and are pruned lazily.
 */
export class DncStore {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  private zkey(scope: DncScope): string {
    return this.keys.k('dnc', scope, 'z');
  }
  private hkey(scope: DncScope): string {
    return this.keys.k('dnc', scope, 'h');
  }

  async add(e: Omit<DncEntry, 'addedAt'> & { addedAt?: number }): Promise<DncEntry> {
    const entry: DncEntry = { ...e, addedAt: e.addedAt ?? Date.now() };
    const score = entry.expiresAt ?? '+inf';
    await this.redis.multi()
      .zadd(this.zkey(entry.scope), score, entry.phone)
      .hset(this.hkey(entry.scope), entry.phone, JSON.stringify(entry))
      .exec();
    return entry;
  }

  async remove(phone: string, scope: DncScope): Promise<boolean> {
    const [[, n]] = (await this.redis.multi().zrem(this.zkey(scope), phone).hdel(this.hkey(scope), phone).exec()) as [[null, number], unknown];
    return n > 0;
  }

  /** Global list first, then the campaign's. Checked at dial time, not only at import. */
  async check(phone: string, campaignId: string | undefined, now = Date.now()): Promise<DncCheck> {
    const scopes: DncScope[] = ['global', ...(campaignId ? [campaignScope(campaignId)] : [])];
    const pipe = this.redis.pipeline();
    for (const s of scopes) pipe.zscore(this.zkey(s), phone);
    const res = (await pipe.exec()) ?? [];
    for (let i = 0; i < scopes.length; i++) {
      const score = res[i]?.[1] as string | null;
      if (score === null || score === undefined) continue;
      const expiresAt = score === 'inf' ? Infinity : Number(score);
      if (expiresAt <= now) continue;
      const raw = await this.redis.hget(this.hkey(scopes[i]), phone);
      const entry: DncEntry = raw
        ? (JSON.parse(raw) as DncEntry)
        : { phone, scope: scopes[i], reason: 'listed', source: 'manual', addedAt: 0 };
      return { listed: true, entry };
    }
    return { listed: false };
  }

  /** Live entries of a scope, newest expiry last; prunes expired ones. */
  async list(scope: DncScope, opts: { offset?: number; limit?: number; now?: number } = {}): Promise<{ total: number; entries: DncEntry[] }> {
    await this.prune(scope, opts.now ?? Date.now());
    const total = await this.redis.zcard(this.zkey(scope));
    const phones = await this.redis.zrange(this.zkey(scope), opts.offset ?? 0, (opts.offset ?? 0) + (opts.limit ?? 100) - 1);
    if (!phones.length) return { total, entries: [] };
    const raws = await this.redis.hmget(this.hkey(scope), ...phones);
    const entries = raws.map((r, i) => (r ? (JSON.parse(r) as DncEntry) : { phone: phones[i], scope, reason: 'listed', source: 'manual' as const, addedAt: 0 }));
    return { total, entries };
  }

  async prune(scope: DncScope, now = Date.now()): Promise<number> {
    const expired = await this.redis.zrangebyscore(this.zkey(scope), '-inf', now);
    if (!expired.length) return 0;
    await this.redis.multi().zrem(this.zkey(scope), ...expired).hdel(this.hkey(scope), ...expired).exec();
    return expired.length;
  }
}
