/**
 * Scheduler benchmark (`npm run bench:scheduler`): 100,000 scheduled BullMQ jobs on a PRIVATE redis-server
 * (free port, no persistence; the shared Redis is untouched).
 *  1. schedule: 100,000 delayed jobs added (addBulk), jobs/s.
 *  2. paced firing: RATE due jobs/s for SECONDS seconds while the rest (the backlog) stays delayed;
 *     lateness = handler start - intended fire time (p50/p99/max). Goal: p99 < 1 s at 200 due jobs/s.
 *  3. burst: BURST jobs due at once; drain rate in jobs/s.
 * Every job does what real handlers do per job: an EffectGuard commit (done marker + effect, one Lua call).
 * Options (env): BENCH_TOTAL=100000 BENCH_RATE=200 BENCH_SECONDS=60 BENCH_BURST=20000 BENCH_CONCURRENCY=50
 * Prints a markdown section (paste into docs/benchmarks-scheduler.md).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { Keys } from '../src/redis.js';
import { EffectGuard } from '../src/scheduler/effect-guard.js';
import { bullConnection } from '../src/scheduler/workers.js';
import { jobId } from '../src/scheduler/job-queue.js';
import { freePort } from '../test/support/ports.js';
import { run } from '../test/support/proc.js';

const TOTAL = Number(process.env.BENCH_TOTAL ?? 100_000);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const BURST = Number(process.env.BENCH_BURST ?? 20_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const PACED = Math.min(TOTAL, RATE * SECONDS);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function main(): Promise<void> {
  const port = await freePort();
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-sched-'));
  const server = run('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]);
  await server.waitFor(/Ready to accept connections/, 10_000);
  const url = `redis://127.0.0.1:${port}`;
  const connection = bullConnection(url);
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  const guard = new EffectGuard(redis, new Keys('bench:'));
  const queue = new Queue('bench', { connection, prefix: 'bench', defaultJobOptions: { removeOnComplete: true } });

  const lateness: number[] = [];
  let burstDone = 0;
  let burstLast = 0;
  const worker = new Worker('bench', async (job: Job) => {
    const intended = job.timestamp + (job.opts.delay ?? 0);
    const startedAt = Date.now();
    await guard.commit(job.id!, [['INCR', 'bench:effects']]);
    if (job.name === 'paced') lateness.push(startedAt - intended);
    else if (job.name === 'burst') {
      burstDone++;
      burstLast = Date.now();
    }
  }, { connection, prefix: 'bench', concurrency: CONCURRENCY });
  await worker.waitUntilReady();

  // 1. schedule: the backlog (due tomorrow) first, then the paced jobs, all 100,000 delayed at once
  const t0 = Date.now();
  const backlog = TOTAL - PACED;
  for (let i = 0; i < backlog; i += 1000) {
    const n = Math.min(1000, backlog - i);
    await queue.addBulk(Array.from({ length: n }, (_, k) => ({ name: 'backlog', data: {}, opts: { jobId: jobId('b', i + k), delay: 86_400_000 + (i + k) } })));
  }
  const start = Date.now() + 3000;
  for (let i = 0; i < PACED; i += 1000) {
    const n = Math.min(1000, PACED - i);
    const now = Date.now();
    await queue.addBulk(Array.from({ length: n }, (_, k) => ({
      name: 'paced', data: {}, opts: { jobId: jobId('p', i + k), delay: Math.max(0, start + Math.floor(((i + k) * 1000) / RATE) - now) },
    })));
  }
  const scheduleMs = Date.now() - t0;
  const delayedCount = await queue.getDelayedCount();

  // 2. paced firing
  const paceEnd = start + SECONDS * 1000;
  while (lateness.length < PACED && Date.now() < paceEnd + 30_000) await sleep(200);
  const pacedFired = lateness.length;

  // 3. burst: all due at the same moment
  const burstAt = Date.now() + 2000;
  for (let i = 0; i < BURST; i += 1000) {
    const n = Math.min(1000, BURST - i);
    const now = Date.now();
    await queue.addBulk(Array.from({ length: n }, (_, k) => ({ name: 'burst', data: {}, opts: { jobId: jobId('x', i + k), delay: Math.max(0, burstAt - now) } })));
  }
  while (burstDone < BURST && Date.now() < burstAt + 120_000) await sleep(100);
  const burstSec = (burstLast - burstAt) / 1000;

  await worker.close();
  await queue.close();
  redis.disconnect();
  await server.stop('SIGTERM', 3000);
  rmSync(dir, { recursive: true, force: true });

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    `## Scheduler (BullMQ ${(await import('bullmq/package.json', { with: { type: 'json' } })).default.version}) — ${new Date().toISOString().slice(0, 10)}`,
    '',
    `Machine: ${os.cpus().length} x ${cpu}, Node ${process.version}, private redis-server (no persistence), worker concurrency ${CONCURRENCY}, one worker process.`,
    `Command: \`BENCH_TOTAL=${TOTAL} BENCH_RATE=${RATE} BENCH_SECONDS=${SECONDS} BENCH_BURST=${BURST} npm run bench:scheduler\``,
    '',
    '| measure | value |',
    '|---|---|',
    `| jobs scheduled (delayed at once) | ${delayedCount.toLocaleString('en-US')} |`,
    `| scheduling rate (addBulk, 1,000 per call) | ${Math.round(TOTAL / (scheduleMs / 1000)).toLocaleString('en-US')} jobs/s |`,
    `| paced firing: due rate / jobs fired | ${RATE}/s for ${SECONDS} s / ${pacedFired.toLocaleString('en-US')} of ${PACED.toLocaleString('en-US')} |`,
    `| paced lateness p50 | ${pct(lateness, 50)} ms |`,
    `| paced lateness p99 | ${pct(lateness, 99)} ms |`,
    `| paced lateness max | ${Math.max(...lateness)} ms |`,
    `| burst: ${BURST.toLocaleString('en-US')} jobs due at once, drained in | ${burstSec.toFixed(2)} s = ${Math.round(burstDone / burstSec).toLocaleString('en-US')} jobs/s |`,
    '',
    `Goal p99 lateness < 1 s at 200 due jobs/s: ${pct(lateness, 99) < 1000 && pacedFired === PACED ? 'met' : 'NOT met'}.`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
