import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { agentIdSchema } from '../agents/agent-schema.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { KpiCounters } from '../kpi/kpi-counters.js';
import { dayRangeSchema } from '../kpi/kpi-range.js';
import { agentKpiSchema, agentReportSchema, campaignReportSchema, type KpiReportService } from '../kpi/kpi-report.js';
import { kpiTargetInputSchema, targetPeriodSchema, type KpiTargetStore } from '../kpi/kpi-targets.js';
import { HttpError } from './error-handler.js';

export interface KpiRoutesOptions {
  reports: KpiReportService;
  counters: KpiCounters;
  targets: KpiTargetStore;
  /** Every agent id (the agent store), for the all-agents report. */
  listAgents: () => Promise<string[]>;
  audit: AuditLog;
}

export const surveyInputSchema = z.object({
  callId: z.string().min(1).max(128),
  agentId: agentIdSchema,
  score: z.number().int().min(1).max(5),
});

const agentParams = z.object({ id: agentIdSchema });
const campaignParams = z.object({ id: z.string().min(1).max(64) });
const errorBody = z.object({ error: z.string(), message: z.string() });
const targetSchema = z.object({
  agentId: z.string(), period: targetPeriodSchema, periodStart: z.string(), periodEnd: z.string(),
  talkMinutes: z.number().optional(), conversions: z.number().optional(), connectRate: z.number().optional(), satisfaction: z.number().optional(),
});

/**
 * KPI assessment (seeds 002 §8): per-agent figures per day and over a range with targets and attainment,
 * per-campaign figures, post-call survey scores. Agents see only their own figures.
 */
export const kpiRoutes: FastifyPluginAsyncZod<KpiRoutesOptions> = async (app, o) => {
  const anyone = app.requireRole('admin', 'supervisor', 'agent');
  const sup = app.requireRole('admin', 'supervisor');

  app.get('/kpi/agents', {
    preHandler: anyone,
    schema: { querystring: dayRangeSchema, response: { 200: z.object({ agents: z.array(agentKpiSchema.extend({ agentId: z.string() })) }) } },
  }, async (req) => {
    const p = req.principal!;
    let ids: string[];
    if (p.role === 'agent') {
      if (!p.agentId) throw new HttpError(403, 'forbidden', 'this agent token names no agent');
      ids = [p.agentId];
    } else {
      ids = await o.listAgents();
      await o.audit.record(p, 'kpi.agents', '*', { from: req.query.from, to: req.query.to, count: ids.length });
    }
    const agents = await Promise.all(ids.map(async (agentId) => ({ agentId, ...(await o.reports.agentTotal(agentId, req.query)) })));
    return { agents };
  });

  app.get('/kpi/agents/:id', {
    preHandler: anyone,
    schema: { params: agentParams, querystring: dayRangeSchema, response: { 200: agentReportSchema, 403: errorBody } },
  }, async (req) => {
    const p = req.principal!;
    if (p.role === 'agent' && p.agentId !== req.params.id) throw new HttpError(403, 'forbidden', 'agents may see only their own figures');
    if (p.role !== 'agent') await o.audit.record(p, 'kpi.agent', req.params.id, { from: req.query.from, to: req.query.to });
    return o.reports.agentReport(req.params.id, req.query);
  });

  app.get('/kpi/campaigns/:id', {
    preHandler: sup,
    schema: { params: campaignParams, querystring: dayRangeSchema, response: { 200: campaignReportSchema } },
  }, async (req) => o.reports.campaignReport(req.params.id, req.query));

  app.put('/kpi/targets/:id', {
    preHandler: sup,
    schema: { params: agentParams, body: kpiTargetInputSchema, response: { 200: targetSchema } },
  }, async (req) => {
    const t = await o.targets.put(req.params.id, req.body);
    await o.audit.record(req.principal!, 'kpi.target', req.params.id, { period: t.period, periodStart: t.periodStart });
    return t;
  });

  app.get('/kpi/targets/:id', {
    preHandler: anyone,
    schema: { params: agentParams, response: { 200: z.object({ targets: z.array(targetSchema) }), 403: errorBody } },
  }, async (req) => {
    const p = req.principal!;
    if (p.role === 'agent' && p.agentId !== req.params.id) throw new HttpError(403, 'forbidden', 'agents may see only their own targets');
    return { targets: await o.targets.list(req.params.id) };
  });

  // Posted by the IVR's afterAgent continuation (http-lookup with a supervisor service token) or a survey tool;
  // never by agents, who would be scoring themselves.
  app.post('/kpi/surveys', {
    preHandler: sup,
    schema: { body: surveyInputSchema, response: { 201: z.object({ status: z.literal('recorded') }), 409: errorBody } },
  }, async (req, reply) => {
    const r = await o.counters.recordSurvey(req.body);
    if (r === 'duplicate') throw new HttpError(409, 'conflict', `call ${req.body.callId} already has a survey score`);
    req.log.info({ callId: req.body.callId, agentId: req.body.agentId }, 'survey score recorded');
    return reply.code(201).send({ status: 'recorded' as const });
  });
};
