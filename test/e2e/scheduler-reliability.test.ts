import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { run, type Proc } from '../support/proc.js';
import { REDIS_URL, testRedis } from '../support/redis.js';
import { waitFor } from '../support/scheduler-fakes.js';
import { bullConnection } from '../../src/scheduler/workers.js';
import { jobId } from '../../src/scheduler/job-queue.js';

const WORKER = new URL('../support/scheduler-effect-worker.ts', import.meta.url).pathname;
const procs: Proc[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const p of procs) await p.stop('SIGKILL', 100);
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

function startWorker(redisUrl: string, env: { keyPrefix: string; bullPrefix: string; queue: string; holdMs?: number }): Proc {
  // node itself (not npx/tsx wrappers), so SIGKILL hits the worker and leaves no orphan behind.
  const p = run(process.execPath, ['--import', 'tsx', WORKER], {
    env: {
      ...process.env, REDIS_URL: redisUrl, KEY_PREFIX: env.keyPrefix, BULL_PREFIX: env.bullPrefix, QUEUE: env.queue,
      HOLD_AFTER_COMMIT_MS: String(env.holdMs ?? 0),
    },
  });
  procs.push(p);
  return p;
}

async function addJobs(queue: Queue, n: number, fromMs: number, spreadMs: number): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => jobId('rel', i));
  await queue.addBulk(ids.map((id, i) => ({ name: 'effect', data: {}, opts: { jobId: id, delay: fromMs + Math.floor((i / n) * spreadMs) } })));
  return ids;
}

async function effects(redis: Redis, prefix: string): Promise<string[]> {
  return redis.lrange(`${prefix}effects`, 0, -1);
}

function expectEachOnce(log: string[], ids: string[]): void {
  const counts = new Map<string, number>();
  for (const id of log) counts.set(id, (counts.get(id) ?? 0) + 1);
  expect([...counts.values()].filter((c) => c !== 1)).toEqual([]);
  expect([...counts.keys()].sort()).toEqual([...ids].sort());
}

describe('scheduler reliability (real Redis, worker child processes)', () => {
  it('SIGKILL while jobs are due: after a restart every job effect happens exactly once', async () => {
    const t = testRedis();
    const bullPrefix = `trel-${randomUUID().slice(0, 8)}`;
    const queue = new Queue('rel', { connection: bullConnection(REDIS_URL), prefix: bullPrefix });
    cleanups.push(async () => { await queue.obliterate({ force: true }); await queue.close(); await t.cleanup(); });
    const ids = await addJobs(queue, 300, 500, 3000);
    const env = { keyPrefix: t.prefix, bullPrefix, queue: 'rel', holdMs: 150 };

    const first = startWorker(REDIS_URL, env);
    await first.waitFor(/ready/, 20_000);
    await waitFor(async () => (await t.redis.llen(`${t.prefix}effects`)) >= 60, 20_000, '60 effects');
    // Kill right after a commit, while that job is still running: BullMQ must deliver it again.
    const out = first.output().length;
    const m = await waitFor(async () => first.output().slice(out).match(/applied (rel\.\d+)/), 10_000, 'a fresh commit');
    first.child.kill('SIGKILL');
    await first.exited;
    const committedBeforeKill = m[1];
    const doneAtKill = await t.redis.llen(`${t.prefix}effects`);
    expect(doneAtKill).toBeLessThan(300);

    const second = startWorker(REDIS_URL, env);
    await second.waitFor(/ready/, 20_000);
    await waitFor(async () => (await t.redis.llen(`${t.prefix}effects`)) >= 300, 40_000, 'all 300 effects');
    // Stalled jobs are re-run after the lock expires: wait for them to be completed too.
    await waitFor(async () => (await queue.getJobCounts('completed')).completed === 300, 20_000, '300 completed');

    expectEachOnce(await effects(t.redis, t.prefix), ids);
    const runs = await t.redis.hgetall(`${t.prefix}runs`);
    expect(Number(runs[committedBeforeKill])).toBeGreaterThanOrEqual(2);
    expect(second.output()).toContain(`already-done ${committedBeforeKill}`);
  }, 90_000);

  it('two workers: each job runs on one of them, and both take work', async () => {
    const t = testRedis();
    const bullPrefix = `trel-${randomUUID().slice(0, 8)}`;
    const queue = new Queue('rel2', { connection: bullConnection(REDIS_URL), prefix: bullPrefix });
    cleanups.push(async () => { await queue.obliterate({ force: true }); await queue.close(); await t.cleanup(); });
    const env = { keyPrefix: t.prefix, bullPrefix, queue: 'rel2' };
    const a = startWorker(REDIS_URL, env);
    const b = startWorker(REDIS_URL, env);
    await Promise.all([a.waitFor(/ready/, 20_000), b.waitFor(/ready/, 20_000)]);
    const ids = await addJobs(queue, 400, 300, 1500);
    await waitFor(async () => (await queue.getJobCounts('completed')).completed === 400, 30_000, '400 completed');
    expectEachOnce(await effects(t.redis, t.prefix), ids);
    const runs = Object.values(await t.redis.hgetall(`${t.prefix}runs`)).map(Number);
    expect(runs.filter((r) => r !== 1)).toEqual([]);
    const byWorker = Object.values(await t.redis.hgetall(`${t.prefix}by-worker`)).map(Number);
    expect(byWorker).toHaveLength(2);
    expect(byWorker.every((c) => c > 0)).toBe(true);
    await a.stop();
    await b.stop();
  }, 60_000);

  it('private Redis restarted (AOF) while jobs are delayed: they resume and run once', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'sched-redis-'));
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
    let server = run('redis-server', args);
    procs.push(server);
    await server.waitFor(/Ready to accept connections/, 10_000);
    const url = `redis://127.0.0.1:${port}`;
    const redis = new Redis(url, { maxRetriesPerRequest: null });
    redis.on('error', () => undefined); // refused while the server restarts
    const queue = new Queue('rel3', { connection: bullConnection(url), prefix: 'trel' });
    queue.on('error', () => undefined);
    cleanups.push(async () => { await queue.close(); redis.disconnect(); rmSync(dir, { recursive: true, force: true }); });
    const w = startWorker(url, { keyPrefix: 'p:', bullPrefix: 'trel', queue: 'rel3' });
    await w.waitFor(/ready/, 20_000);
    const ids = await addJobs(queue, 150, 3000, 1500);

    await server.stop('SIGTERM', 5000);
    await new Promise((r) => setTimeout(r, 800));
    server = run('redis-server', args);
    procs.push(server);
    await server.waitFor(/Ready to accept connections/, 10_000);
    // Nothing was due yet: every effect below happens after the restart, from the AOF-restored jobs.
    expect(await redis.llen('p:effects')).toBe(0);
    expect(await queue.getDelayedCount()).toBe(150);

    await waitFor(async () => (await redis.llen('p:effects').catch(() => 0)) >= 150, 40_000, '150 effects after the restart');
    await waitFor(async () => (await queue.getJobCounts('completed')).completed === 150, 20_000, '150 completed');
    expectEachOnce(await effects(redis, 'p:'), ids);
    await w.stop();
    await server.stop('SIGTERM', 5000);
  }, 90_000);
});

describe('scheduler service under SIGKILL (real callback handlers)', () => {
  it('every callback ends done once; every extra dial is one recorded as interrupted, none silent', async () => {
    const { testScheduler } = await import('../support/scheduler-fakes.js');
    const t = testScheduler();
    cleanups.push(() => t.cleanup());
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      const { callback } = await t.s.callbacks.create({ phone: `+86138001380${String(i).padStart(2, '0')}`, timezone: 'Asia/Shanghai', dueAt: Date.now() + 1500 + i * 30, source: 'api', createdBy: 'test' });
      ids.push(callback.id);
    }
    const start = () => {
      const p = run(process.execPath, ['--import', 'tsx', new URL('../support/scheduler-service-worker.ts', import.meta.url).pathname], {
        env: { ...process.env, REDIS_URL, KEY_PREFIX: t.r.prefix, BULL_PREFIX: t.bullPrefix },
      });
      procs.push(p);
      return p;
    };
    const first = start();
    await first.waitFor(/ready/, 20_000);
    await waitFor(async () => (await t.r.redis.llen(`${t.r.prefix}dials`)) >= 20, 20_000, '20 dials');
    const from = first.output().length;
    const m = await waitFor(async () => first.output().slice(from).match(/dialing (cb-\S+)/), 10_000, 'a dial in progress');
    first.child.kill('SIGKILL');
    await first.exited;
    const second = start();
    await second.waitFor(/ready/, 20_000);
    const all = async () => Promise.all(ids.map((id) => t.s.callbacks.get(id)));
    await waitFor(async () => (await all()).every((c) => c?.status === 'done'), 40_000, 'all callbacks done');

    const dials = await t.r.redis.lrange(`${t.r.prefix}dials`, 0, -1);
    for (const cb of await all()) {
      const events = cb!.history.map((h) => h.event);
      expect(events.filter((e) => e === 'done')).toHaveLength(1);
      const interrupted = cb!.history.filter((h) => h.event === 'retry' && h.detail?.includes('interrupted')).length;
      expect(dials.filter((d) => d === cb!.id)).toHaveLength(1 + interrupted);
    }
    const killed = (await t.s.callbacks.get(m[1]))!;
    expect(killed.history.map((h) => h.event)).toEqual(['created', 'retry', 'done']);
    await second.stop();
  }, 90_000);
});
