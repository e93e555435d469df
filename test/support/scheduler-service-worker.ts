/**
 * Child process for the service-level SIGKILL test: the real scheduler worker (startSchedulerWorkers with
 * CallbackRunner) whose "any agent" dispatch is a fake call that logs the dial to Redis and lasts 300 ms.
 * Env: REDIS_URL, KEY_PREFIX, BULL_PREFIX.
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Keys } from '../../src/redis.js';
import { bullConnection, createSchedulerServices, startSchedulerWorkers } from '../../src/scheduler/workers.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const keys = new Keys(process.env.KEY_PREFIX!);
const redis = new Redis(url, { maxRetriesPerRequest: null });
const connection = bullConnection(url);
const services = createSchedulerServices({ redis, keys, connection, prefix: process.env.BULL_PREFIX! });
const running = await startSchedulerWorkers({
  services, connection, log: pino({ level: 'silent' }), concurrency: 20, lockDurationMs: 2000, stalledIntervalMs: 1000,
  dialGuard: { check: async () => ({ allowed: true }) },
  callbackOptions: { maxAttempts: 5, retryBackoffMs: [200] },
  anyAgent: {
    async queueForAnyAgent(cb) {
      await redis.rpush(keys.k('dials'), cb.callbackId);
      process.stdout.write(`dialing ${cb.callbackId}\n`);
      await new Promise((r) => setTimeout(r, 300));
      return { outcome: 'queued', queueOutcome: 'completed' };
    },
  },
});
process.stdout.write(`ready ${process.pid}\n`);
process.on('SIGTERM', () => void running.stop().then(() => services.close()).then(() => process.exit(0)));
