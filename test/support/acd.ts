import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Keys } from '../../src/redis.js';
import { EventBus } from '../../src/events/bus.js';
import { AgentStore } from '../../src/agents/agent-store.js';
import { AgentDirectory } from '../../src/agents/agent-directory.js';
import { AgentStateService } from '../../src/agents/agent-state.js';
import { PauseCodeStore } from '../../src/agents/pause-codes.js';
import { QueueStore } from '../../src/queue/queue-store.js';
import { QueueLog } from '../../src/queue/queue-log.js';
import { QueueStatsService } from '../../src/queue/queue-stats.js';
import { QueueService, type QueueServiceOptions } from '../../src/queue/queue-service.js';
import { CallLedger } from '../../src/queue/call-ledger.js';
import { namedPrompts } from '../../src/queue/ports.js';
import type { QueueConfigInput } from '../../src/queue/queue-schema.js';
import { REDIS_URL, testRedis } from './redis.js';

/** Every ACD service one instance runs, on its own Redis connections (command, publish, subscribe). */
export interface AcdInstance {
  redis: Redis;
  bus: EventBus;
  agents: AgentStore;
  directory: AgentDirectory;
  pauseCodes: PauseCodeStore;
  agentState: AgentStateService;
  queues: QueueStore;
  queueLog: QueueLog;
  stats: QueueStatsService;
  service: QueueService;
  close(): Promise<void>;
}

export type InstanceExtras = Partial<Pick<QueueServiceOptions, 'owners' | 'customers' | 'callbacks' | 'random' | 'onDecision' | 'audit'>>;

export async function acdInstance(keys: Keys, extras: InstanceExtras = {}): Promise<AcdInstance> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  const pub = new Redis(REDIS_URL);
  const sub = new Redis(REDIS_URL);
  const bus = new EventBus(pub, sub, keys);
  const agents = new AgentStore(redis, keys);
  const directory = new AgentDirectory(redis, keys);
  const pauseCodes = new PauseCodeStore(redis, keys);
  const agentState = new AgentStateService({ redis, keys, bus, pauseCodes, queuesOf: async (id) => (await agents.get(id))?.queues ?? [] });
  const queues = new QueueStore(redis, keys);
  const queueLog = new QueueLog(redis, keys, bus);
  const ledger = new CallLedger(redis, keys);
  const stats = new QueueStatsService({ redis, keys, ledger, agents, agentState, queues });
  const service = new QueueService({
    redis, keys, bus, agents, agentState, directory, queues, ledger, queueLog, stats,
    prompts: namedPrompts('/prompts'), log: pino({ level: process.env.ACD_TEST_LOG ?? 'silent' }), ...extras,
  });
  await service.start();
  return {
    redis, bus, agents, directory, pauseCodes, agentState, queues, queueLog, stats, service,
    async close() {
      await service.close();
      await bus.close();
      redis.disconnect();
      pub.disconnect();
      sub.disconnect();
    },
  };
}

/** One or more ACD instances sharing a private Redis key prefix. */
export async function acdCluster(n = 1, extras: InstanceExtras | ((keys: Keys, redis: Redis) => InstanceExtras) = {}) {
  const r = testRedis();
  const instances: AcdInstance[] = [];
  const ex = typeof extras === 'function' ? extras(r.keys, r.redis) : extras;
  for (let i = 0; i < n; i++) instances.push(await acdInstance(r.keys, ex));
  const a = instances[0];
  return {
    keys: r.keys,
    redis: r.redis,
    instances,
    a,
    async queue(q: QueueConfigInput) {
      return (await a.queues.upsert(q)).queue;
    },
    /** An agent in the given queues, with a registered softphone, logged in and available. */
    async agent(id: string, opts: { queues: string[]; skills?: Record<string, number>; login?: boolean; register?: boolean }) {
      await a.agents.upsert({ id, name: `Agent ${id}`, sipUsername: id, sipPassword: `${id}-secret-pw`, skills: opts.skills ?? {}, queues: opts.queues });
      if (opts.register !== false) await a.directory.setRegistration(id, `sip:${id}@127.0.0.1:5099`, 300);
      if (opts.login !== false) await a.agentState.request(id, 'available');
    },
    async close() {
      for (const i of instances) await i.close();
      await r.cleanup();
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls a condition (tests only: waits for asynchronous effects without fixed sleeps). */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
