import type { Redis } from 'ioredis';
import type { Keys } from '../redis.js';
import type { AgentCredential, AgentCredentials } from '../sip/ports.js';
import { agentInputSchema, type AgentInput } from './agent-schema.js';

/**
 * Agent records (name, SIP credentials, skills, queue membership) in Redis.
 * Implements the registrar's AgentCredentials port (lookup by SIP username).
 * Queue membership is mirrored into one set per queue so the router reads members in one command.
 */
export class AgentStore implements AgentCredentials {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  private get all(): string { return this.keys.k('agents'); }
  private get bySip(): string { return this.keys.k('agents-sip'); }
  membersKey(queueId: string): string { return this.keys.k('qmembers', queueId); }

  async get(id: string): Promise<AgentInput | null> {
    const raw = await this.redis.hget(this.all, id);
    return raw ? agentInputSchema.parse(JSON.parse(raw)) : null;
  }

  /** Several agents in one round trip (missing ones are left out). */
  async getMany(ids: string[]): Promise<Map<string, AgentInput>> {
    const out = new Map<string, AgentInput>();
    if (!ids.length) return out;
    const raws = await this.redis.hmget(this.all, ...ids);
    raws.forEach((raw, i) => { if (raw) out.set(ids[i], JSON.parse(raw) as AgentInput); });
    return out;
  }

  async list(): Promise<AgentInput[]> {
    const h = await this.redis.hgetall(this.all);
    return Object.values(h).map((raw) => JSON.parse(raw) as AgentInput).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Creates or replaces; 'conflict' when the SIP username belongs to another agent. */
  async upsert(input: AgentInput): Promise<'created' | 'updated' | 'conflict'> {
    const a = agentInputSchema.parse(input);
    const owner = await this.redis.hget(this.bySip, a.sipUsername);
    if (owner && owner !== a.id) return 'conflict';
    const prev = await this.get(a.id);
    const m = this.redis.multi();
    if (prev && prev.sipUsername !== a.sipUsername) m.hdel(this.bySip, prev.sipUsername);
    for (const q of prev?.queues ?? []) if (!a.queues.includes(q)) m.srem(this.membersKey(q), a.id);
    for (const q of a.queues) m.sadd(this.membersKey(q), a.id);
    m.hset(this.all, a.id, JSON.stringify(a));
    m.hset(this.bySip, a.sipUsername, a.id);
    await m.exec();
    return prev ? 'updated' : 'created';
  }

  async remove(id: string): Promise<boolean> {
    const prev = await this.get(id);
    if (!prev) return false;
    const m = this.redis.multi();
    for (const q of prev.queues) m.srem(this.membersKey(q), id);
    m.hdel(this.all, id);
    m.hdel(this.bySip, prev.sipUsername);
    await m.exec();
    return true;
  }

  async members(queueId: string): Promise<string[]> {
    return this.redis.smembers(this.membersKey(queueId));
  }

  /** Registrar port: credentials by SIP username. */
  async lookup(username: string): Promise<AgentCredential | null> {
    const id = await this.redis.hget(this.bySip, username);
    if (!id) return null;
    const a = await this.get(id);
    if (!a) return null;
    return { agentId: a.id, ...(a.sipHa1 ? { ha1: a.sipHa1 } : { password: a.sipPassword }) };
  }
}
