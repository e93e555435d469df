import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Keys } from '../../src/redis.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A Redis client plus a unique key prefix, so test files never see each other's data. Never FLUSHDB. */
export function testRedis(): { redis: Redis; keys: Keys; prefix: string; cleanup(): Promise<void> } {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  const prefix = `test:${randomUUID().slice(0, 8)}:`;
  return {
    redis,
    keys: new Keys(prefix),
    prefix,
    async cleanup() {
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (batch.length) await redis.del(...batch);
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
}
