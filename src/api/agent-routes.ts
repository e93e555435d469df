import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import type { AgentDirectory } from '../agents/agent-directory.js';
import { AgentStateService, TransitionError, UnknownPauseCodeError } from '../agents/agent-state.js';
import type { AgentStore } from '../agents/agent-store.js';
import { agentIdSchema, agentInputSchema, agentStateSchema, agentViewSchema, requestableStateSchema, toView } from '../agents/agent-schema.js';
import { pauseCodeSchema, type PauseCodeStore } from '../agents/pause-codes.js';
import { HttpError } from './error-handler.js';

export interface AgentRoutesOptions {
  agents: AgentStore;
  agentState: AgentStateService;
  directory: AgentDirectory;
  pauseCodes: PauseCodeStore;
  audit: AuditLog;
}

const statusSchema = z.object({
  agentId: z.string(),
  state: agentStateSchema,
  since: z.number(),
  reason: z.string().optional(),
  callId: z.string().optional(),
  queueId: z.string().optional(),
  unanswered: z.number(),
  loginAt: z.number().optional(),
});
const agentWithStatus = agentViewSchema.extend({ status: statusSchema });
const agentDetail = agentWithStatus.extend({ contacts: z.array(z.object({ uri: z.string(), expiresAt: z.number() })) });
const params = z.object({ agentId: agentIdSchema });
const errorBody = z.object({ error: z.string(), message: z.string() });
const totalsSchema = z.object({
  day: z.string(), idleMs: z.number(), ringMs: z.number(), talkMs: z.number(), holdMs: z.number(),
  wrapMs: z.number(), pauseMs: z.number(), calls: z.number(), missed: z.number(),
});
const transitionSchema = z.object({
  agentId: z.string(), state: agentStateSchema, prev: agentStateSchema, reason: z.string().optional(), at: z.number(),
  prevSince: z.number(), prevDurationMs: z.number(), callId: z.string().optional(), queueId: z.string().optional(), unanswered: z.number(),
});

/** Agents act on themselves only; supervisors and admins on anyone. */
function assertSelfOrSupervisor(req: FastifyRequest, agentId: string): void {
  const p = req.principal!;
  if (p.role === 'agent' && p.agentId !== agentId) throw new HttpError(403, 'forbidden', 'agents may act only on themselves');
}

/** Agent CRUD (admin), agent state (agent for self, supervisor/admin for anyone), daily times and pause codes. */
export const agentRoutes: FastifyPluginAsyncZod<AgentRoutesOptions> = async (app, o) => {
  const anyone = app.requireRole('admin', 'supervisor', 'agent');
  const sup = app.requireRole('admin', 'supervisor');
  const admin = app.requireRole('admin');

  async function detail(agentId: string) {
    const a = await o.agents.get(agentId);
    if (!a) throw new HttpError(404, 'not_found', `no agent ${agentId}`);
    return { ...toView(a), status: await o.agentState.get(agentId), contacts: await o.directory.contactsFor(agentId) };
  }

  app.get('/agents', { preHandler: sup, schema: { tags: ['agents'], response: { 200: z.array(agentWithStatus) } } }, async () => {
    const all = await o.agents.list();
    const states = await o.agentState.getMany(all.map((a) => a.id));
    return all.map((a, i) => ({ ...toView(a), status: states[i] }));
  });

  app.post('/agents', {
    preHandler: admin,
    schema: { tags: ['agents'], body: agentInputSchema, response: { 201: agentViewSchema, 409: errorBody } },
  }, async (req, reply) => {
    if (await o.agents.get(req.body.id)) throw new HttpError(409, 'conflict', `agent ${req.body.id} exists`);
    if ((await o.agents.upsert(req.body)) === 'conflict') throw new HttpError(409, 'conflict', `SIP username ${req.body.sipUsername} is taken`);
    await o.audit.record(req.principal!, 'agent.create', req.body.id);
    return reply.code(201).send(toView(req.body));
  });

  app.get('/agents/:agentId', { preHandler: anyone, schema: { tags: ['agents'], params, response: { 200: agentDetail } } }, async (req) => {
    assertSelfOrSupervisor(req, req.params.agentId);
    return detail(req.params.agentId);
  });

  app.put('/agents/:agentId', {
    preHandler: admin,
    schema: { tags: ['agents'], params, body: agentInputSchema, response: { 200: agentViewSchema, 409: errorBody } },
  }, async (req) => {
    if (req.body.id !== req.params.agentId) throw new HttpError(400, 'bad_request', 'id in body differs from the path');
    if ((await o.agents.upsert(req.body)) === 'conflict') throw new HttpError(409, 'conflict', `SIP username ${req.body.sipUsername} is taken`);
    await o.audit.record(req.principal!, 'agent.update', req.body.id);
    return toView(req.body);
  });

  app.delete('/agents/:agentId', { preHandler: admin, schema: { tags: ['agents'], params } }, async (req, reply) => {
    await o.agentState.tryTransition(req.params.agentId, 'logged-out', { from: ['available', 'paused', 'wrap-up'] });
    if (!(await o.agents.remove(req.params.agentId))) throw new HttpError(404, 'not_found', `no agent ${req.params.agentId}`);
    await o.directory.clearRegistrations(req.params.agentId);
    await o.audit.record(req.principal!, 'agent.delete', req.params.agentId);
    return reply.code(204).send();
  });

  app.get('/agents/:agentId/state', { preHandler: anyone, schema: { tags: ['agents'], params, response: { 200: statusSchema } } }, async (req) => {
    assertSelfOrSupervisor(req, req.params.agentId);
    return o.agentState.get(req.params.agentId);
  });

  app.put('/agents/:agentId/state', {
    preHandler: anyone,
    schema: {
      tags: ['agents'], params,
      body: z.object({ state: requestableStateSchema, reason: z.string().max(32).optional() }),
      response: { 200: transitionSchema, 409: errorBody },
    },
  }, async (req) => {
    assertSelfOrSupervisor(req, req.params.agentId);
    if (!(await o.agents.get(req.params.agentId))) throw new HttpError(404, 'not_found', `no agent ${req.params.agentId}`);
    try {
      const t = await o.agentState.request(req.params.agentId, req.body.state, req.body.reason);
      if (req.principal!.agentId !== req.params.agentId) await o.audit.record(req.principal!, 'agent.state', req.params.agentId, { state: t.state });
      return t;
    } catch (err) {
      if (err instanceof TransitionError) throw new HttpError(409, 'conflict', err.message);
      if (err instanceof UnknownPauseCodeError) throw new HttpError(400, 'bad_request', err.message);
      throw err;
    }
  });

  app.get('/agents/:agentId/times', {
    preHandler: anyone,
    schema: { tags: ['agents'], params, querystring: z.object({ day: z.iso.date().optional() }), response: { 200: totalsSchema } },
  }, async (req) => {
    assertSelfOrSupervisor(req, req.params.agentId);
    return o.agentState.dayTotals(req.params.agentId, req.query.day);
  });

  app.get('/agents/:agentId/events', {
    preHandler: anyone,
    schema: { tags: ['agents'], params, querystring: z.object({ count: z.coerce.number().int().min(1).max(1000).default(100) }), response: { 200: z.array(transitionSchema) } },
  }, async (req) => {
    assertSelfOrSupervisor(req, req.params.agentId);
    return o.agentState.history(req.params.agentId, req.query.count);
  });

  app.get('/pause-codes', { preHandler: anyone, schema: { tags: ['agents'], response: { 200: z.array(pauseCodeSchema) } } }, async () => o.pauseCodes.list());

  app.put('/pause-codes', {
    preHandler: admin,
    schema: { tags: ['agents'], body: z.array(pauseCodeSchema).max(100), response: { 200: z.array(pauseCodeSchema) } },
  }, async (req) => {
    await o.pauseCodes.replace(req.body);
    await o.audit.record(req.principal!, 'pause-codes.replace', 'pause-codes', { count: req.body.length });
    return o.pauseCodes.list();
  });
};
