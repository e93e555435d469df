import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import type { CallLedger } from '../queue/call-ledger.js';
import { queueLogEntrySchema, queueLogEventSchema, type QueueLog } from '../queue/queue-log.js';
import { queueConfigSchema, queueIdSchema } from '../queue/queue-schema.js';
import { queueStatsSchema, type QueueStatsService } from '../queue/queue-stats.js';
import type { QueueStore } from '../queue/queue-store.js';
import { HttpError } from './error-handler.js';

export interface QueueRoutesOptions {
  queues: QueueStore;
  stats: QueueStatsService;
  queueLog: QueueLog;
  ledger: CallLedger;
  audit: AuditLog;
}

const params = z.object({ queueId: queueIdSchema });
const errorBody = z.object({ error: z.string(), message: z.string() });
const waitingCall = z.object({ callId: z.string(), priority: z.number(), enqueuedAt: z.string(), waitSec: z.number(), callerNumber: z.string(), ownerAgentId: z.string().nullable() });

/** Queue CRUD (admin), live stats, waiting calls and the queue_log (supervisor/admin). */
export const queueRoutes: FastifyPluginAsyncZod<QueueRoutesOptions> = async (app, o) => {
  const sup = app.requireRole('admin', 'supervisor');
  const admin = app.requireRole('admin');

  app.get('/queues', { preHandler: sup, schema: { tags: ['queues'], response: { 200: z.array(queueConfigSchema) } } }, async () => o.queues.list());

  app.post('/queues', {
    preHandler: admin,
    schema: { tags: ['queues'], body: queueConfigSchema, response: { 201: queueConfigSchema, 409: errorBody } },
  }, async (req, reply) => {
    if (await o.queues.get(req.body.id)) throw new HttpError(409, 'conflict', `queue ${req.body.id} exists`);
    const { queue } = await o.queues.upsert(req.body);
    await o.audit.record(req.principal!, 'queue.create', queue.id);
    return reply.code(201).send(queue);
  });

  app.get('/queues/:queueId', { preHandler: sup, schema: { tags: ['queues'], params, response: { 200: queueConfigSchema } } }, async (req) => {
    const q = await o.queues.get(req.params.queueId);
    if (!q) throw new HttpError(404, 'not_found', `no queue ${req.params.queueId}`);
    return q;
  });

  app.put('/queues/:queueId', {
    preHandler: admin,
    schema: { tags: ['queues'], params, body: queueConfigSchema, response: { 200: queueConfigSchema } },
  }, async (req) => {
    if (req.body.id !== req.params.queueId) throw new HttpError(400, 'bad_request', 'id in body differs from the path');
    const { queue } = await o.queues.upsert(req.body);
    await o.audit.record(req.principal!, 'queue.update', queue.id);
    return queue;
  });

  app.delete('/queues/:queueId', { preHandler: admin, schema: { tags: ['queues'], params } }, async (req, reply) => {
    if (!(await o.queues.remove(req.params.queueId))) throw new HttpError(404, 'not_found', `no queue ${req.params.queueId}`);
    await o.audit.record(req.principal!, 'queue.delete', req.params.queueId);
    return reply.code(204).send();
  });

  app.get('/queues/:queueId/stats', {
    preHandler: sup,
    schema: { tags: ['queues'], params, querystring: z.object({ day: z.iso.date().optional() }), response: { 200: queueStatsSchema } },
  }, async (req) => {
    if (!(await o.queues.get(req.params.queueId))) throw new HttpError(404, 'not_found', `no queue ${req.params.queueId}`);
    return o.stats.stats(req.params.queueId, req.query.day);
  });

  app.get('/queues/:queueId/calls', { preHandler: sup, schema: { tags: ['queues'], params, response: { 200: z.array(waitingCall) } } }, async (req) => {
    const now = Date.now();
    return (await o.ledger.waiting(req.params.queueId)).map((c) => ({
      callId: c.callId, priority: c.priority, enqueuedAt: new Date(c.enqueuedAt).toISOString(), waitSec: Math.round((now - c.enqueuedAt) / 1000),
      callerNumber: c.callerNumber, ownerAgentId: c.ownerAgentId,
    }));
  });

  app.get('/queue-log', {
    preHandler: sup,
    schema: {
      tags: ['queues'],
      querystring: z.object({
        queue: z.string().optional(),
        agent: z.string().optional(),
        event: queueLogEventSchema.optional(),
        from: z.iso.datetime({ offset: true }).optional(),
        to: z.iso.datetime({ offset: true }).optional(),
        limit: z.coerce.number().int().min(1).max(5000).default(100),
      }),
      response: { 200: z.array(queueLogEntrySchema) },
    },
  }, async (req) => {
    const q = req.query;
    // rows carry caller numbers: reading them is audit-logged
    await o.audit.record(req.principal!, 'queue-log.read', q.queue ?? '*', { agent: q.agent, event: q.event, from: q.from, to: q.to });
    return o.queueLog.query({
      queue: q.queue, agent: q.agent, event: q.event, limit: q.limit,
      from: q.from ? Date.parse(q.from) : undefined, to: q.to ? Date.parse(q.to) : undefined,
    });
  });
};
