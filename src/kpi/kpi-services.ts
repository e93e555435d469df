import type { Redis } from 'ioredis';
import type { Keys } from '../redis.js';
import type { AgentStateService } from '../agents/agent-state.js';
import type { AgentStore } from '../agents/agent-store.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { CallStatsStore } from '../compliance/call-stats.js';
import type { DispositionService } from '../leads/disposition-service.js';
import type { DomainPlugin } from '../app.js';
import type { Logger } from '../logger.js';
import { kpiRoutes } from '../api/kpi-routes.js';
import { KpiCounters } from './kpi-counters.js';
import { KpiReportService } from './kpi-report.js';
import { KpiTargetStore } from './kpi-targets.js';

export interface KpiServicesDeps {
  redis: Redis;
  keys: Keys;
  agentState: AgentStateService;
  agents: Pick<AgentStore, 'list'>;
  callStats: CallStatsStore;
  dispositions: Pick<DispositionService, 'onApplied'>;
  audit: AuditLog;
  log?: Pick<Logger, 'warn'>;
  /** Built earlier when the IVR's survey node records into it. */
  counters?: KpiCounters;
}

/** KPI composition for src/service.ts: counters hooked onto dispositions, the report service and its routes. */
export function createKpi(d: KpiServicesDeps): { counters: KpiCounters; targets: KpiTargetStore; reports: KpiReportService; domain: DomainPlugin; stop(): void } {
  const counters = d.counters ?? new KpiCounters(d.redis, d.keys);
  const targets = new KpiTargetStore(d.redis, d.keys);
  const reports = new KpiReportService({ agentState: d.agentState, counters, targets, callStats: d.callStats });
  const off = d.dispositions.onApplied((a) => counters.recordDisposition(a));
  // per-call talk time, booked to the campaign when the call is dispositioned
  const offTalk = d.agentState.onTransition((t) => {
    if (t.prev !== 'on-call' || !t.callId || !t.prevDurationMs) return;
    counters.recordCallTalk(t.callId, t.prevDurationMs).catch((err: unknown) => d.log?.warn({ err, callId: t.callId }, 'kpi call talk not recorded'));
  });
  const listAgents = async () => (await d.agents.list()).map((a) => a.id).sort();
  return {
    counters, targets, reports,
    domain: { name: 'kpi', plugin: async (app) => { await app.register(kpiRoutes, { reports, counters, targets, listAgents, audit: d.audit }); } },
    stop: () => { off(); offTalk(); },
  };
}
