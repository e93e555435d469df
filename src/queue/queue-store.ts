import type { Redis } from 'ioredis';
import type { Keys } from '../redis.js';
import { queueConfigSchema, type QueueConfig, type QueueConfigInput } from './queue-schema.js';

/** Queue definitions (admin-managed) in one Redis hash; read by every instance on each routing pass. */
export class QueueStore {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  private get key(): string { return this.keys.k('queues'); }

  async get(id: string): Promise<QueueConfig | null> {
    const raw = await this.redis.hget(this.key, id);
    return raw ? queueConfigSchema.parse(JSON.parse(raw)) : null;
  }

  async list(): Promise<QueueConfig[]> {
    const all = await this.redis.hgetall(this.key);
    return Object.values(all).map((r) => queueConfigSchema.parse(JSON.parse(r))).sort((a, b) => a.id.localeCompare(b.id));
  }

  async upsert(input: QueueConfigInput): Promise<{ queue: QueueConfig; created: boolean }> {
    const q = queueConfigSchema.parse(input);
    const created = (await this.redis.hset(this.key, q.id, JSON.stringify(q))) === 1;
    return { queue: q, created };
  }

  async remove(id: string): Promise<boolean> {
    return (await this.redis.hdel(this.key, id)) === 1;
  }

  /** round-robin cursor: the agent offered last in this queue. */
  async lastOffered(queueId: string): Promise<string | null> {
    return this.redis.get(this.keys.k('qrr', queueId));
  }

  async setLastOffered(queueId: string, agentId: string): Promise<void> {
    await this.redis.set(this.keys.k('qrr', queueId), agentId);
  }
}
