import { Redis } from 'ioredis';

/** Fails fast with a clear message when the stack's prerequisites are missing (scripts/setup.sh installs them). */
export default async function globalSetup(): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(`Redis is not answering (${(err as Error).message}); run 'npm test' (scripts/setup.sh starts it)`);
  } finally {
    redis.disconnect();
  }
}
