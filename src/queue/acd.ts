import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Keys } from '../redis.js';
import type { DomainPlugin } from '../app.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { EventBus } from '../events/bus.js';
import { AgentDirectory } from '../agents/agent-directory.js';
import { AgentStateService } from '../agents/agent-state.js';
import { AgentStore } from '../agents/agent-store.js';
import { PauseCodeStore } from '../agents/pause-codes.js';
import { agentRoutes } from '../api/agent-routes.js';
import { queueRoutes } from '../api/queue-routes.js';
import { wsGatewayRoutes } from '../api/ws-gateway.js';
import { WsGateway } from '../ws/gateway.js';
import { CallLedger } from './call-ledger.js';
import { QueueLog } from './queue-log.js';
import { QueueService } from './queue-service.js';
import { QueueStatsService } from './queue-stats.js';
import { QueueStore } from './queue-store.js';
import type { CallbackSink, CustomerLookup, OwnerLookup, QueuePromptResolver } from './ports.js';
import type { PromptSet } from '../media/prompts.js';
import type { OwnerLookup as LeadOwnerLookup } from '../leads/owner-lookup.js';
import type { CallbackService } from '../scheduler/callback-service.js';
import type { AgentCredentials, RegistrationSink } from '../sip/ports.js';

export interface AcdDeps {
  redis: Redis;
  keys: Keys;
  bus: EventBus;
  log: Logger;
  audit: AuditLog;
  prompts: QueuePromptResolver;
  owners?: OwnerLookup;
  customers?: CustomerLookup;
  callbacks?: CallbackSink;
  /** Supervisor stats refresh (ms), default 1000. */
  statsIntervalMs?: number;
  /** Hook receiving each routing decision's duration (benchmarks). */
  onDecision?: (ms: number) => void;
  /** Hook receiving each routing pass's duration (benchmarks). */
  onPass?: (ms: number) => void;
}

/**
 * The agents + ACD + WebSocket composition in one place, for src/service.ts:
 *   const acd = createAcd({...}); domains.push(...acd.domains); await acd.start(); stoppers.push(acd.stop);
 *   registrar: credentials = acd.agents, sink = acd.directory; IVR: acd.queueService.enqueue(call, {...}).
 */
// Compile-time proof that the other areas' services fit the ACD's ports as they are (type-only imports).
type Fits<A extends B, B> = A;
export type AcdPortsFit = [
  Fits<PromptSet, QueuePromptResolver>,
  Fits<LeadOwnerLookup, OwnerLookup>,
  Fits<CallbackService, CallbackSink>,
  Fits<AgentStore, AgentCredentials>,
  Fits<AgentDirectory, RegistrationSink>,
];

export function createAcd(d: AcdDeps) {
  const agents = new AgentStore(d.redis, d.keys);
  const directory = new AgentDirectory(d.redis, d.keys);
  const pauseCodes = new PauseCodeStore(d.redis, d.keys);
  const agentState = new AgentStateService({
    redis: d.redis, keys: d.keys, bus: d.bus, pauseCodes, queuesOf: async (id) => (await agents.get(id))?.queues ?? [],
  });
  const queues = new QueueStore(d.redis, d.keys);
  const queueLog = new QueueLog(d.redis, d.keys, d.bus);
  const ledger = new CallLedger(d.redis, d.keys);
  const stats = new QueueStatsService({ redis: d.redis, keys: d.keys, ledger, agents, agentState, queues });
  const queueService = new QueueService({
    redis: d.redis, keys: d.keys, bus: d.bus, agents, agentState, directory, queues, ledger, queueLog, stats,
    prompts: d.prompts, owners: d.owners, customers: d.customers, callbacks: d.callbacks, audit: d.audit, log: d.log.child({ mod: 'acd' }), onDecision: d.onDecision, onPass: d.onPass,
  });
  const gateway = new WsGateway({
    bus: d.bus, agentState, stats, log: d.log.child({ mod: 'ws' }), statsIntervalMs: d.statsIntervalMs,
    queueIds: async () => (await queues.list()).map((q) => q.id),
  });

  const domains: DomainPlugin[] = [
    { name: 'agents', plugin: async (app) => { await app.register(agentRoutes, { agents, agentState, directory, pauseCodes, audit: d.audit }); } },
    { name: 'queues', plugin: async (app) => { await app.register(queueRoutes, { queues, stats, queueLog, ledger, audit: d.audit }); } },
    { name: 'ws', plugin: async (app) => { await app.register(wsGatewayRoutes, { gateway }); } },
  ];

  return {
    agents, directory, pauseCodes, agentState, queues, queueLog, stats, queueService, gateway, domains,
    async start(): Promise<void> {
      await queueService.start();
      await gateway.start();
    },
    async stop(): Promise<void> {
      gateway.close();
      await queueService.close();
    },
  };
}

export type Acd = ReturnType<typeof createAcd>;
