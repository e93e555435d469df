import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { Keys } from '../redis.js';
import { CallbackRunner, type CallbackRunnerOptions } from './callback-runner.js';
import { CallbackService } from './callback-service.js';
import { CallbackStore } from './callback-store.js';
import { EffectGuard } from './effect-guard.js';
import { FollowUpPlans } from './follow-up-plans.js';
import { SchedulerQueue, type JobDataByName, type JobName } from './job-queue.js';
import { PaymentService } from './payment-service.js';
import { PaymentStore } from './payment-store.js';
import type { AgentAvailability, AnyAgentDispatch, DialGuard, EventPublisher, OptOutSink, Originator, PreviewDialer, RetentionSweep } from './ports.js';
import type { ReminderCallRunner } from './reminder-call.js';
import { ReminderRunner } from './reminder-runner.js';

/** BullMQ connection options from a redis:// URL (workers need maxRetriesPerRequest: null). */
export function bullConnection(url: string): ConnectionOptions {
  const u = new URL(url);
  return {
    host: u.hostname, port: Number(u.port || 6379), maxRetriesPerRequest: null,
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}), ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.pathname.length > 1 ? { db: Number(u.pathname.slice(1)) } : {}),
  };
}

export interface SchedulerServicesOptions {
  /** Commands (stores, effect guard). */
  redis: Redis;
  keys: Keys;
  /** BullMQ connection (bullConnection(REDIS_URL)). */
  connection: ConnectionOptions;
  /** BullMQ key prefix (SCHEDULER_PREFIX; tests use a unique one). */
  prefix?: string;
  queueName?: string;
  /** "Callbacks due soon" this long before due (default 10 min). */
  dueSoonMs?: number;
  defaultTimezone?: string;
  defaultCountry?: string;
  /** Callback changes to the owner's WebSocket feed (the EventBus). */
  bus?: EventPublisher;
  now?: () => number;
}

/** The Redis-backed parts (no telephony): what the API needs. */
export interface SchedulerServices {
  queue: SchedulerQueue;
  guard: EffectGuard;
  callbackStore: CallbackStore;
  callbacks: CallbackService;
  plans: FollowUpPlans;
  paymentStore: PaymentStore;
  payments: PaymentService;
  dueSoonMs: number;
  close(): Promise<void>;
}

export function createSchedulerServices(o: SchedulerServicesOptions): SchedulerServices {
  const queue = new SchedulerQueue({ connection: o.connection, ...(o.prefix ? { prefix: o.prefix } : {}), ...(o.queueName ? { name: o.queueName } : {}) });
  const guard = new EffectGuard(o.redis, o.keys);
  const dueSoonMs = o.dueSoonMs ?? 10 * 60_000;
  const callbackStore = new CallbackStore(o.redis, o.keys, queue, guard, dueSoonMs);
  const callbacks = new CallbackService({
    store: callbackStore, ...(o.defaultTimezone ? { defaultTimezone: o.defaultTimezone } : {}),
    ...(o.defaultCountry ? { defaultCountry: o.defaultCountry } : {}), ...(o.now ? { now: o.now } : {}), ...(o.bus ? { bus: o.bus } : {}),
  });
  const paymentStore = new PaymentStore(o.redis, o.keys);
  return {
    queue, guard, callbackStore, callbacks, dueSoonMs,
    plans: new FollowUpPlans(o.redis, o.keys, callbacks, o.now),
    paymentStore,
    payments: new PaymentService({ store: paymentStore, queue, guard, ...(o.defaultCountry ? { defaultCountry: o.defaultCountry } : {}), ...(o.now ? { now: o.now } : {}) }),
    close: () => queue.close(),
  };
}

export interface SchedulerWorkerDeps {
  services: SchedulerServices;
  connection: ConnectionOptions;
  log: Logger;
  dialGuard: DialGuard;
  bus?: EventPublisher;
  /** Callbacks: preview to the owner when available, else any agent. */
  agents?: AgentAvailability;
  preview?: PreviewDialer;
  anyAgent?: AnyAgentDispatch;
  callbackOptions?: Pick<CallbackRunnerOptions, 'ownerWaitMs' | 'ownerRecheckMs' | 'maxAttempts' | 'retryBackoffMs' | 'defaultScope'>;
  /** Payment reminders (all three needed; without them reminder jobs fail and BullMQ retries them). */
  originator?: Originator;
  reminderCall?: ReminderCallRunner;
  optOut?: OptOutSink;
  /** Repeatable recording retention sweep (src/recording enforceRetention). */
  retention?: { sweep: RetentionSweep; everyMs?: number };
  /** Jobs in parallel per process (calls are long: default 20). */
  concurrency?: number;
  /** Lock/stalled timing; shorter in tests so a SIGKILLed worker's jobs are picked up quickly. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  now?: () => number;
}

export interface RunningScheduler {
  worker: Worker;
  callbackRunner: CallbackRunner;
  reminderRunner?: ReminderRunner;
  stop(): Promise<void>;
}

/**
 * Starts this instance's scheduler worker. Any number of instances may run: BullMQ hands each job to one
 * worker at a time, and handlers are idempotent (EffectGuard) for the at-least-once cases (crash, lost lock).
 */
export async function startSchedulerWorkers(d: SchedulerWorkerDeps): Promise<RunningScheduler> {
  const s = d.services;
  const log = d.log.child({ mod: 'scheduler' });
  const now = d.now;
  const callbackRunner = new CallbackRunner({
    store: s.callbackStore, guard: s.guard, dialGuard: d.dialGuard, log, ...d.callbackOptions,
    ...(d.bus ? { bus: d.bus } : {}), ...(d.agents ? { agents: d.agents } : {}), ...(d.preview ? { preview: d.preview } : {}),
    ...(d.anyAgent ? { anyAgent: d.anyAgent } : {}), ...(now ? { now } : {}),
  });
  const reminderRunner = d.originator && d.reminderCall && d.optOut
    ? new ReminderRunner({
      store: s.paymentStore, queue: s.queue, guard: s.guard, dialGuard: d.dialGuard, originator: d.originator,
      call: d.reminderCall, optOut: d.optOut, log, ...(now ? { now } : {}),
    })
    : undefined;

  const processor = async (job: Job): Promise<string> => {
    const id = job.id!;
    const name = job.name as JobName;
    switch (name) {
      case 'callback-due-soon':
        return callbackRunner.dueSoon(id, job.data as JobDataByName['callback-due-soon']);
      case 'callback-due':
        return callbackRunner.due(id, job.data as JobDataByName['callback-due']);
      case 'reminder':
        if (!reminderRunner) throw new Error('payment reminders are not wired (originator, reminderCall, optOut)');
        return reminderRunner.run(id, job.data as JobDataByName['reminder']);
      case 'retention': {
        if (!d.retention) return 'no-retention';
        const r = await d.retention.sweep(new Date());
        log.info(r, 'recording retention sweep');
        return `deleted ${r.deleted}, failed ${r.failed}`;
      }
      default:
        throw new Error(`unknown scheduler job ${job.name}`);
    }
  };

  const worker = new Worker(s.queue.name, processor, {
    connection: d.connection, prefix: s.queue.prefix, concurrency: d.concurrency ?? 20,
    ...(d.lockDurationMs ? { lockDuration: d.lockDurationMs } : {}), ...(d.stalledIntervalMs ? { stalledInterval: d.stalledIntervalMs } : {}),
  });
  worker.on('failed', (job, err) => log.warn({ err, jobId: job?.id, name: job?.name, attempts: job?.attemptsMade }, 'scheduler job failed'));
  worker.on('error', (err) => log.error({ err }, 'scheduler worker error'));
  if (d.retention) {
    await s.queue.queue.upsertJobScheduler('recording-retention', { every: d.retention.everyMs ?? 3600_000 }, { name: 'retention', data: {} });
  }
  await worker.waitUntilReady();
  log.info({ queue: s.queue.name, prefix: s.queue.prefix, reminders: !!reminderRunner }, 'scheduler worker started');
  return {
    worker, callbackRunner, ...(reminderRunner ? { reminderRunner } : {}),
    async stop() {
      await worker.close();
    },
  };
}
