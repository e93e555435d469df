import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis.js';
import { HttpError } from '../api/error-handler.js';
import { campaignInputSchema, type Campaign, type CampaignInput } from './campaign.js';

/** Campaigns as JSON documents in Redis, validated by the zod schema on every write. */
export class CampaignStore {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  async create(input: CampaignInput, now = new Date()): Promise<Campaign> {
    const parsed = campaignInputSchema.parse(input);
    const c: Campaign = { ...parsed, id: randomUUID(), createdAt: now.toISOString(), updatedAt: now.toISOString() };
    await this.redis.multi().set(this.keys.k('campaign', c.id), JSON.stringify(c)).sadd(this.keys.k('campaigns'), c.id).exec();
    return c;
  }

  async get(id: string): Promise<Campaign | null> {
    const raw = await this.redis.get(this.keys.k('campaign', id));
    return raw ? (JSON.parse(raw) as Campaign) : null;
  }

  async require(id: string): Promise<Campaign> {
    const c = await this.get(id);
    if (!c) throw new HttpError(404, 'not_found', `campaign ${id} not found`);
    return c;
  }

  async list(): Promise<Campaign[]> {
    const ids = (await this.redis.smembers(this.keys.k('campaigns'))).sort();
    if (!ids.length) return [];
    const raws = await this.redis.mget(...ids.map((id) => this.keys.k('campaign', id)));
    return raws.filter((r): r is string => !!r).map((r) => JSON.parse(r) as Campaign);
  }

  /** Partial update: the merged document is validated again as a whole. */
  async update(id: string, patch: Partial<CampaignInput>, now = new Date()): Promise<Campaign> {
    const cur = await this.require(id);
    const { id: _id, createdAt, updatedAt: _u, ...rest } = cur;
    const parsed = campaignInputSchema.parse({ ...rest, ...patch });
    const next: Campaign = { ...parsed, id, createdAt, updatedAt: now.toISOString() };
    await this.redis.set(this.keys.k('campaign', id), JSON.stringify(next));
    return next;
  }

  async remove(id: string): Promise<boolean> {
    const [[, n]] = (await this.redis.multi().del(this.keys.k('campaign', id)).srem(this.keys.k('campaigns'), id).exec()) as [[null, number], unknown];
    return n > 0;
  }
}
