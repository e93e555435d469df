import type { Redis } from 'ioredis';
import type { Keys } from '../redis.js';
import { leadFromHash, leadToHash, type Attempt, type Lead } from './lead.js';

/**
 * Leads in Redis:
 *  lead:<id>                 hash (leadToHash)
 *  lead:<id>:attempts        list of JSON attempts (last 200)
 *  camp:<cid>:phones         hash E.164 -> lead id (dedup within a campaign)
 *  camp:<cid>:leads          zset lead id -> creation order (listing, export)
 *  camp:<cid>:queue          zset lead id -> next attempt time ms (what the dialer takes)
 *  owner:<agentId>:leads     zset lead id -> creation time (an agent's own leads)
 *  phoneowner                hash E.164 -> agent id (a customer belongs to one rep, across campaigns)
 */
export class LeadStore {
  constructor(readonly redis: Redis, readonly keys: Keys) {}

  k = {
    lead: (id: string) => this.keys.k('lead', id),
    attempts: (id: string) => this.keys.k('lead', id, 'attempts'),
    phones: (cid: string) => this.keys.k('camp', cid, 'phones'),
    leads: (cid: string) => this.keys.k('camp', cid, 'leads'),
    queue: (cid: string) => this.keys.k('camp', cid, 'queue'),
    ownerLeads: (agentId: string) => this.keys.k('owner', agentId, 'leads'),
    phoneOwner: () => this.keys.k('phoneowner'),
    seq: () => this.keys.k('leadseq'),
  };

  async get(id: string): Promise<Lead | null> {
    return leadFromHash(await this.redis.hgetall(this.k.lead(id)));
  }

  async getMany(ids: string[]): Promise<Lead[]> {
    if (!ids.length) return [];
    const p = this.redis.pipeline();
    for (const id of ids) p.hgetall(this.k.lead(id));
    const res = (await p.exec()) ?? [];
    return res.map(([, h]) => leadFromHash(h as Record<string, string>)).filter((l): l is Lead => !!l);
  }

  async findByPhone(campaignId: string, phone: string): Promise<Lead | null> {
    const id = await this.redis.hget(this.k.phones(campaignId), phone);
    return id ? this.get(id) : null;
  }

  async update(id: string, patch: Partial<Omit<Lead, 'id' | 'campaignId' | 'phone'>>, now = Date.now()): Promise<Lead> {
    const cur = await this.get(id);
    if (!cur) throw new Error(`lead ${id} not found`);
    const next: Lead = { ...cur, ...patch, updatedAt: now };
    const removed = Object.entries(patch).filter(([, v]) => v === undefined).map(([k]) => k);
    const m = this.redis.multi().hset(this.k.lead(id), leadToHash(next));
    if (removed.length) m.hdel(this.k.lead(id), ...removed);
    if (patch.ownerAgentId && patch.ownerAgentId !== cur.ownerAgentId) {
      if (cur.ownerAgentId) m.zrem(this.k.ownerLeads(cur.ownerAgentId), id);
      m.zadd(this.k.ownerLeads(patch.ownerAgentId), cur.createdAt, id);
      m.hset(this.k.phoneOwner(), cur.phone, patch.ownerAgentId);
    }
    await m.exec();
    return next;
  }

  /** Put the lead in (at = time) or out (null) of its campaign's dial queue. */
  async schedule(lead: Pick<Lead, 'id' | 'campaignId'>, at: number | null): Promise<void> {
    if (at === null) {
      await this.redis.multi().zrem(this.k.queue(lead.campaignId), lead.id).hdel(this.k.lead(lead.id), 'nextAttemptAt').exec();
    } else {
      await this.redis.multi().zadd(this.k.queue(lead.campaignId), at, lead.id).hset(this.k.lead(lead.id), 'nextAttemptAt', String(at)).exec();
    }
  }

  /** Lead ids due at `now`, oldest due first. */
  async due(campaignId: string, now: number, limit: number, offset = 0): Promise<string[]> {
    return this.redis.zrangebyscore(this.k.queue(campaignId), '-inf', now, 'LIMIT', offset, limit);
  }

  async queueSize(campaignId: string): Promise<number> {
    return this.redis.zcard(this.k.queue(campaignId));
  }

  async count(campaignId: string): Promise<number> {
    return this.redis.zcard(this.k.leads(campaignId));
  }

  async list(campaignId: string, opts: { offset?: number; limit?: number; ownerAgentId?: string } = {}): Promise<{ total: number; leads: Lead[] }> {
    const offset = opts.offset ?? 0;
    const limit = opts.limit ?? 50;
    if (opts.ownerAgentId) {
      // An agent's own leads, filtered to this campaign.
      const ids = await this.redis.zrange(this.k.ownerLeads(opts.ownerAgentId), 0, -1);
      const leads = (await this.getMany(ids)).filter((l) => l.campaignId === campaignId);
      return { total: leads.length, leads: leads.slice(offset, offset + limit) };
    }
    const total = await this.redis.zcard(this.k.leads(campaignId));
    const ids = await this.redis.zrange(this.k.leads(campaignId), offset, offset + limit - 1);
    return { total, leads: await this.getMany(ids) };
  }

  /** Every lead of a campaign in chunks, without holding them all (export). */
  async *iterate(campaignId: string, chunk = 500): AsyncGenerator<Lead> {
    for (let offset = 0; ; offset += chunk) {
      const ids = await this.redis.zrange(this.k.leads(campaignId), offset, offset + chunk - 1);
      if (!ids.length) return;
      for (const l of await this.getMany(ids)) yield l;
    }
  }

  async addAttempt(leadId: string, a: Attempt): Promise<void> {
    await this.redis.multi().rpush(this.k.attempts(leadId), JSON.stringify(a)).ltrim(this.k.attempts(leadId), -200, -1).exec();
  }

  async attempts(leadId: string): Promise<Attempt[]> {
    return (await this.redis.lrange(this.k.attempts(leadId), 0, -1)).map((s) => JSON.parse(s) as Attempt);
  }

  async ownerOfPhone(phone: string): Promise<string | null> {
    return this.redis.hget(this.k.phoneOwner(), phone);
  }

  async nextIds(n: number): Promise<string[]> {
    const end = await this.redis.incrby(this.k.seq(), n);
    return Array.from({ length: n }, (_, i) => `L${end - n + i + 1}`);
  }
}
