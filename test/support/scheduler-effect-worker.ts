/**
 * Child process for the scheduler reliability tests: a BullMQ worker whose job effect is RPUSH of the job id
 * to an effect log, committed with EffectGuard (done marker and effect in one script). It counts every
 * execution separately (runs hash) so the test can see BullMQ's redeliveries next to the exactly-once effect.
 * Env: REDIS_URL, BULL_PREFIX, KEY_PREFIX, QUEUE, HOLD_AFTER_COMMIT_MS.
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Keys } from '../../src/redis.js';
import { EffectGuard } from '../../src/scheduler/effect-guard.js';
import { bullConnection } from '../../src/scheduler/workers.js';

const env = (k: string): string => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} missing`);
  return v;
};
const redisUrl = env('REDIS_URL');
const keys = new Keys(env('KEY_PREFIX'));
const hold = Number(process.env.HOLD_AFTER_COMMIT_MS ?? '0');
const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
const guard = new EffectGuard(redis, keys);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const worker = new Worker(env('QUEUE'), async (job) => {
  const id = job.id!;
  await redis.hincrby(keys.k('runs'), id, 1);
  await sleep(10 + Math.random() * 20);
  const r = await guard.commit(id, [['RPUSH', keys.k('effects'), id], ['HINCRBY', keys.k('by-worker'), String(process.pid), 1]]);
  process.stdout.write(`${r} ${id}\n`);
  // Still running after the effect: a SIGKILL now leaves a committed job BullMQ will deliver again.
  if (hold) await sleep(hold);
  return r;
}, {
  connection: bullConnection(redisUrl), prefix: env('BULL_PREFIX'), concurrency: 8,
  lockDuration: 2000, stalledInterval: 1000,
});
worker.on('error', (err) => process.stderr.write(`worker error: ${err.message}\n`));
await worker.waitUntilReady();
process.stdout.write(`ready ${process.pid}\n`);
const stop = async () => {
  await worker.close();
  redis.disconnect();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
