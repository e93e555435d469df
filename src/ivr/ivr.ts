import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { DomainPlugin } from '../app.js';
import type { AgentDirectory } from '../agents/agent-directory.js';
import { ivrRoutes } from '../api/ivr-routes.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { EventBus } from '../events/bus.js';
import type { PromptSet } from '../media/prompts.js';
import type { QueueService } from '../queue/queue-service.js';
import type { Keys } from '../redis.js';
import type { CallbackService } from '../scheduler/callback-service.js';
import { IvrAgentlessRunner } from './agentless-runner.js';
import { trunkDialPlan, type TrunkDialPlanOptions } from './dial-plan.js';
import { IvrDidRouter } from './did-router.js';
import { IvrStore } from './ivr-store.js';
import type { AgentContacts, CallbackRequester, PromptResolver, QueueEntry, SurveyRecorder } from './ports.js';
import type { IvrResult } from './session.js';
import type { IvrDeps } from './task.js';

// Compile-time proof that the other areas' services fit the IVR ports as they are (type-only imports).
type Fits<A extends B, B> = A;
export type IvrPortsFit = [
  Fits<PromptSet, PromptResolver>,
  Fits<QueueService, QueueEntry>,
  Fits<AgentDirectory, AgentContacts>,
  Fits<CallbackService, CallbackRequester>,
];

export interface IvrOptions {
  redis: Redis;
  keys: Keys;
  log: Logger;
  audit: AuditLog;
  /** The media PromptSet (also used to warn about missing recordings in /ivr/flows/validate). */
  prompts: PromptResolver & { has?(key: string, lang: 'en' | 'zh'): boolean };
  /** acd.queueService */
  queue?: QueueEntry;
  /** acd.directory */
  agents?: AgentContacts;
  /** The scheduler's CallbackService. */
  callbacks?: CallbackRequester;
  /** src/kpi KpiCounters, for the `survey` node. */
  surveys?: SurveyRecorder;
  /** External transfers: the Originator's trunk template and allowed prefixes. */
  trunk?: TrunkDialPlanOptions;
  bus?: Pick<EventBus, 'publish'>;
  /** Deployment cap on steps per session. */
  maxSteps?: number;
  onResult?: (result: IvrResult) => void | Promise<void>;
}

/**
 * The IVR composition for src/service.ts:
 *   const ivr = createIvr({...}); domains.push(...ivr.domains);
 *   attachInboundRouter({ ..., didRouter: ivr.didRouter }); dialer agentless: ivr.agentlessRunner.
 */
export function createIvr(o: IvrOptions) {
  const store = new IvrStore(o.redis, o.keys);
  const deps: IvrDeps = {
    prompts: o.prompts,
    log: o.log.child({ mod: 'ivr' }),
    calendars: store,
    ...(o.queue ? { queue: o.queue } : {}),
    ...(o.agents ? { agents: o.agents } : {}),
    ...(o.callbacks ? { callbacks: o.callbacks } : {}),
    ...(o.surveys ? { surveys: o.surveys } : {}),
    ...(o.trunk ? { dialPlan: trunkDialPlan(o.trunk) } : {}),
    ...(o.bus ? { bus: o.bus } : {}),
    ...(o.maxSteps ? { maxSteps: o.maxSteps } : {}),
  };
  const didRouter = new IvrDidRouter({ store, deps, ...(o.onResult ? { onResult: o.onResult } : {}) });
  const agentlessRunner = new IvrAgentlessRunner(store, deps);
  const has = o.prompts.has?.bind(o.prompts);
  const domains: DomainPlugin[] = [
    { name: 'ivr', plugin: async (app) => { await app.register(ivrRoutes, { store, audit: o.audit, ...(has ? { prompts: { has } } : {}) }); } },
  ];
  return { store, deps, didRouter, agentlessRunner, domains };
}

export type Ivr = ReturnType<typeof createIvr>;
