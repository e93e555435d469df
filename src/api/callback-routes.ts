import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import { maskPhone, type Principal } from '../auth/roles.js';
import type { Callback } from '../scheduler/callback-schema.js';
import { callbackSchema, callbackStatusSchema } from '../scheduler/callback-schema.js';
import type { CallbackService } from '../scheduler/callback-service.js';
import { followUpPlanSchema, type FollowUpPlan, type FollowUpPlans } from '../scheduler/follow-up-plans.js';
import { HttpError } from './error-handler.js';

export interface CallbackRoutesOptions {
  callbacks: CallbackService;
  plans: FollowUpPlans;
  audit: AuditLog;
}

const DAY = 24 * 3600_000;
const idParams = z.object({ id: z.string().min(1).max(100) });
const idempotencyHeader = z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }).passthrough();
const createBody = z.object({
  phone: z.string().min(3).max(40),
  /** IANA zone; guessed from the number when absent. */
  timezone: z.string().min(1).max(64).optional(),
  dueAt: z.iso.datetime({ offset: true }),
  leadId: z.string().min(1).max(64).optional(),
  campaignId: z.string().min(1).max(64).optional(),
  queueId: z.string().min(1).max(64).optional(),
  /** Agents may only create callbacks they own (default: themselves). */
  ownerAgentId: z.string().min(1).max(64).optional(),
  ownerOnly: z.boolean().default(false),
  note: z.string().max(500).optional(),
  /** Same key -> same callback (the Idempotency-Key header works too). */
  idempotencyKey: z.string().min(1).max(200).optional(),
});
const patchBody = z.object({
  dueAt: z.iso.datetime({ offset: true }),
  ownerAgentId: z.string().min(1).max(64).optional(),
  ownerOnly: z.boolean().optional(),
  note: z.string().max(500).optional(),
});
const listQuery = z.object({
  agentId: z.string().min(1).max(64).optional(),
  leadId: z.string().min(1).max(64).optional(),
  status: callbackStatusSchema.optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
const planBody = z.object({
  leadId: z.string().min(1).max(64),
  phone: z.string().min(3).max(40),
  timezone: z.string().min(1).max(64).optional(),
  ownerAgentId: z.string().min(1).max(64).optional(),
  ownerOnly: z.boolean().default(false),
  campaignId: z.string().min(1).max(64).optional(),
  queueId: z.string().min(1).max(64).optional(),
  /** e.g. [{afterDays: 2}, {afterDays: 7}]: offsets from now. */
  steps: z.array(z.object({ afterDays: z.number().min(1 / 24).max(366), note: z.string().max(500).optional() })).min(1).max(20),
  idempotencyKey: z.string().min(1).max(200).optional(),
});

/** An agent acts only as themself and on their own callbacks; supervisors and admins on all. */
function actor(p: Principal): { agentOnly: string | null; who: string } {
  if (p.role === 'agent') {
    if (!p.agentId) throw new HttpError(403, 'forbidden', 'agent token without agentId');
    return { agentOnly: p.agentId, who: p.agentId };
  }
  return { agentOnly: null, who: p.sub };
}

const view = (cb: Callback, p: Principal): Callback => ({ ...cb, phone: maskPhone(cb.phone, p.role) });
const planView = (pl: FollowUpPlan, p: Principal): FollowUpPlan => ({ ...pl, phone: maskPhone(pl.phone, p.role) });

/** Callbacks CRUD and follow-up plans; agents see and change only their own, with masked numbers. */
export const callbackRoutes: FastifyPluginAsyncZod<CallbackRoutesOptions> = async (app, { callbacks, plans, audit }) => {
  const all = app.requireRole('admin', 'supervisor', 'agent');

  const loadOwn = async (req: FastifyRequest, id: string): Promise<Callback> => {
    const cb = await callbacks.get(id);
    const { agentOnly } = actor(req.principal!);
    // 404 rather than 403 for someone else's callback: agents do not learn which ids exist.
    if (!cb || (agentOnly && cb.ownerAgentId !== agentOnly)) throw new HttpError(404, 'not_found', `callback ${id} not found`);
    return cb;
  };

  app.post('/callbacks', {
    preHandler: all,
    schema: { tags: ['callbacks'], body: createBody, headers: idempotencyHeader, response: { 200: callbackSchema, 201: callbackSchema } },
  }, async (req, reply) => {
    const p = req.principal!;
    const { agentOnly, who } = actor(p);
    const b = req.body;
    if (agentOnly && b.ownerAgentId && b.ownerAgentId !== agentOnly) throw new HttpError(403, 'forbidden', 'agents create callbacks for themselves only');
    const owner = agentOnly ?? b.ownerAgentId;
    const key = b.idempotencyKey ?? req.headers['idempotency-key'];
    const { callback, created } = await callbacks.create({
      phone: b.phone, dueAt: Date.parse(b.dueAt), ownerOnly: b.ownerOnly, source: agentOnly ? 'agent' : 'api', createdBy: who,
      ...(b.timezone ? { timezone: b.timezone } : {}), ...(b.leadId ? { leadId: b.leadId } : {}), ...(b.campaignId ? { campaignId: b.campaignId } : {}),
      ...(b.queueId ? { queueId: b.queueId } : {}), ...(owner ? { ownerAgentId: owner } : {}), ...(b.note ? { note: b.note } : {}),
      // Keys are per creator, so two agents' keys never collide.
      ...(key ? { idempotencyKey: `${who}:${key}` } : {}),
    });
    return reply.code(created ? 201 : 200).send(view(callback, p));
  });

  app.get('/callbacks', {
    preHandler: all,
    schema: { tags: ['callbacks'], querystring: listQuery, response: { 200: z.object({ callbacks: z.array(callbackSchema) }) } },
  }, async (req) => {
    const p = req.principal!;
    const { agentOnly } = actor(p);
    const q = req.query;
    if (agentOnly && q.agentId && q.agentId !== agentOnly) throw new HttpError(403, 'forbidden', 'agents list their own callbacks only');
    const agentId = agentOnly ?? q.agentId;
    const list = await callbacks.list({
      limit: q.limit, ...(agentId ? { agentId } : {}), ...(q.leadId ? { leadId: q.leadId } : {}), ...(q.status ? { status: q.status } : {}),
      ...(q.from ? { from: Date.parse(q.from) } : {}), ...(q.to ? { to: Date.parse(q.to) } : {}),
    });
    const visible = agentOnly ? list.filter((c) => c.ownerAgentId === agentOnly) : list;
    if (!agentOnly) await audit.record(p, 'callbacks.list', agentId ?? q.leadId ?? '*', { count: visible.length });
    return { callbacks: visible.map((c) => view(c, p)) };
  });

  app.get('/callbacks/:id', {
    preHandler: all,
    schema: { tags: ['callbacks'], params: idParams, response: { 200: callbackSchema } },
  }, async (req) => view(await loadOwn(req, req.params.id), req.principal!));

  app.patch('/callbacks/:id', {
    preHandler: all,
    schema: { tags: ['callbacks'], params: idParams, body: patchBody, response: { 200: callbackSchema } },
  }, async (req) => {
    const p = req.principal!;
    const { agentOnly, who } = actor(p);
    await loadOwn(req, req.params.id);
    const b = req.body;
    if (agentOnly && b.ownerAgentId && b.ownerAgentId !== agentOnly) throw new HttpError(403, 'forbidden', 'only supervisors reassign callbacks');
    const cb = await callbacks.reschedule(req.params.id, Date.parse(b.dueAt), who, {
      ...(b.ownerAgentId ? { ownerAgentId: b.ownerAgentId } : {}), ...(b.ownerOnly !== undefined ? { ownerOnly: b.ownerOnly } : {}), ...(b.note ? { note: b.note } : {}),
    });
    return view(cb, p);
  });

  app.delete('/callbacks/:id', {
    preHandler: all,
    schema: { tags: ['callbacks'], params: idParams, response: { 200: callbackSchema } },
  }, async (req) => {
    await loadOwn(req, req.params.id);
    return view(await callbacks.cancel(req.params.id, actor(req.principal!).who), req.principal!);
  });

  app.post('/callbacks/:id/complete', {
    preHandler: all,
    schema: { tags: ['callbacks'], params: idParams, body: z.object({ note: z.string().max(500).optional() }).optional(), response: { 200: callbackSchema } },
  }, async (req) => {
    await loadOwn(req, req.params.id);
    return view(await callbacks.complete(req.params.id, actor(req.principal!).who, req.body?.note ?? 'completed'), req.principal!);
  });

  app.post('/follow-up-plans', {
    preHandler: all,
    schema: { tags: ['callbacks'], body: planBody, response: { 200: followUpPlanSchema, 201: followUpPlanSchema } },
  }, async (req, reply) => {
    const p = req.principal!;
    const { agentOnly, who } = actor(p);
    const b = req.body;
    if (agentOnly && b.ownerAgentId && b.ownerAgentId !== agentOnly) throw new HttpError(403, 'forbidden', 'agents plan their own follow-ups only');
    const owner = agentOnly ?? b.ownerAgentId;
    const { plan, created } = await plans.create({
      leadId: b.leadId, phone: b.phone, ownerOnly: b.ownerOnly, createdBy: who,
      steps: b.steps.map((s) => ({ afterMs: Math.round(s.afterDays * DAY), ...(s.note ? { note: s.note } : {}) })),
      ...(b.timezone ? { timezone: b.timezone } : {}), ...(owner ? { ownerAgentId: owner } : {}), ...(b.campaignId ? { campaignId: b.campaignId } : {}),
      ...(b.queueId ? { queueId: b.queueId } : {}), ...(b.idempotencyKey ? { idempotencyKey: `${who}:${b.idempotencyKey}` } : {}),
    });
    return reply.code(created ? 201 : 200).send(planView(plan, p));
  });

  app.get('/follow-up-plans', {
    preHandler: all,
    schema: { tags: ['callbacks'], querystring: z.object({ leadId: z.string().min(1).max(64) }), response: { 200: z.object({ plans: z.array(followUpPlanSchema) }) } },
  }, async (req) => {
    const p = req.principal!;
    const { agentOnly } = actor(p);
    const list = (await plans.listForLead(req.query.leadId)).filter((pl) => !agentOnly || pl.ownerAgentId === agentOnly);
    return { plans: list.map((pl) => planView(pl, p)) };
  });

  app.delete('/follow-up-plans/:id', {
    preHandler: all,
    schema: { tags: ['callbacks'], params: idParams, response: { 200: followUpPlanSchema } },
  }, async (req) => {
    const p = req.principal!;
    const { agentOnly, who } = actor(p);
    const plan = await plans.get(req.params.id);
    if (!plan || (agentOnly && plan.ownerAgentId !== agentOnly)) throw new HttpError(404, 'not_found', `plan ${req.params.id} not found`);
    return planView((await plans.cancel(plan.id, who))!, p);
  });

  /** Lead won or lost: the rest of its follow-up plans and open callbacks are cancelled. */
  app.post('/follow-up-plans/close-lead', {
    preHandler: app.requireRole('admin', 'supervisor', 'agent'),
    schema: {
      tags: ['callbacks'],
      body: z.object({ leadId: z.string().min(1).max(64), outcome: z.enum(['completed', 'closed']) }),
      response: { 200: z.object({ plans: z.array(z.string()), cancelledCallbacks: z.array(z.string()) }) },
    },
  }, async (req) => {
    const p = req.principal!;
    const { agentOnly, who } = actor(p);
    if (agentOnly) {
      const mine = await plans.listForLead(req.body.leadId);
      const others = (await callbacks.list({ leadId: req.body.leadId, limit: 10_000 })).some((c) => c.ownerAgentId && c.ownerAgentId !== agentOnly);
      if (others || mine.some((pl) => pl.ownerAgentId && pl.ownerAgentId !== agentOnly)) throw new HttpError(403, 'forbidden', 'lead has follow-ups of another agent');
    }
    return plans.closeLead(req.body.leadId, req.body.outcome, who);
  });
};
