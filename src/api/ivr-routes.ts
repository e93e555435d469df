import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import { calendarSchema } from '../ivr/business-hours.js';
import { flowIdSchema, flowSchema } from '../ivr/flow-schema.js';
import type { IvrStore } from '../ivr/ivr-store.js';
import { FlowValidationError } from '../ivr/validate-flow.js';
import { missingPrompts, type PromptAvailability } from '../ivr/prompt-check.js';

export interface IvrRoutesOptions {
  store: IvrStore;
  audit: AuditLog;
  /** When given (the media PromptSet), /ivr/flows/validate also warns about prompt keys without a recording. */
  prompts?: PromptAvailability;
}

const errorBody = z.object({ error: z.string(), message: z.string() }).loose();
const problem = z.object({ node: z.string().optional(), field: z.string().optional(), message: z.string() });
/** Flows are checked by validateFlow() (schema + graph) so every error names its node; the body is any JSON object here. */
const flowBody = z.record(z.string(), z.unknown()).describe('IVR flow document (see src/ivr/flow-schema.ts, docs/ivr-example-flow.json)');
const storedFlow = flowSchema.extend({ version: z.number().int(), updatedAt: z.string() });
const didSchema = z.string().regex(/^\+?[0-9A-Za-z*#._-]{1,64}$/, 'DID: digits, optional leading +');
const idParam = z.object({ id: flowIdSchema });

/** Sends 400 with node-level problems and the zod issues; rethrows anything else. */
function invalidFlow(reply: FastifyReply, err: unknown) {
  if (!(err instanceof FlowValidationError)) throw err;
  return reply.code(400).send({ error: 'bad_request', message: err.message, problems: err.problems, issues: err.issues });
}

/** CRUD for IVR flows, DID routes and business-hours calendars: admins write, supervisors read. */
export const ivrRoutes: FastifyPluginAsyncZod<IvrRoutesOptions> = async (app, { store, audit, prompts }) => {
  const read = app.requireRole('admin', 'supervisor');
  const write = app.requireRole('admin');
  const tags = ['ivr'];

  app.get('/ivr/flows', { preHandler: read, schema: { tags, response: { 200: z.array(storedFlow) } } }, async () => store.listFlows());

  app.get('/ivr/flows/:id', { preHandler: read, schema: { tags, params: idParam, response: { 200: storedFlow, 404: errorBody } } },
    async (req) => store.requireFlow(req.params.id));

  app.post('/ivr/flows', { preHandler: write, schema: { tags, body: flowBody, response: { 201: storedFlow, 400: errorBody, 409: errorBody } } },
    async (req, reply) => {
      try {
        const f = await store.createFlow(req.body);
        await audit.record(req.principal!, 'ivr.flow.create', f.id, { version: f.version });
        return reply.code(201).send(f);
      } catch (err) {
        return invalidFlow(reply, err);
      }
    });

  /** Dry run for flow editors: same checks as a save, nothing stored. */
  app.post('/ivr/flows/validate', {
    preHandler: read,
    schema: { tags, body: flowBody, response: { 200: z.object({ ok: z.boolean(), problems: z.array(problem), warnings: z.array(problem) }) } },
  }, async (req) => {
    try {
      const flow = await store.checkFlow(req.body);
      return { ok: true, problems: [], warnings: prompts ? missingPrompts(flow, prompts) : [] };
    } catch (err) {
      if (!(err instanceof FlowValidationError)) throw err;
      return { ok: false, problems: err.problems, warnings: [] };
    }
  });

  app.put('/ivr/flows/:id', { preHandler: write, schema: { tags, params: idParam, body: flowBody, response: { 200: storedFlow, 400: errorBody, 404: errorBody, 409: errorBody } } },
    async (req, reply) => {
      try {
        const f = await store.replaceFlow(req.params.id, req.body);
        await audit.record(req.principal!, 'ivr.flow.update', f.id, { version: f.version });
        return f;
      } catch (err) {
        return invalidFlow(reply, err);
      }
    });

  app.delete('/ivr/flows/:id', { preHandler: write, schema: { tags, params: idParam, response: { 204: z.null(), 404: errorBody, 409: errorBody } } },
    async (req, reply) => {
      await store.deleteFlow(req.params.id);
      await audit.record(req.principal!, 'ivr.flow.delete', req.params.id);
      return reply.code(204).send(null);
    });

  const numberRoute = z.object({ did: z.string(), flowId: z.string() });
  app.get('/ivr/numbers', { preHandler: read, schema: { tags, response: { 200: z.array(numberRoute) } } }, async () => store.listNumbers());

  app.put('/ivr/numbers/:did', {
    preHandler: write,
    schema: { tags, params: z.object({ did: didSchema }), body: z.object({ flowId: flowIdSchema }), response: { 200: numberRoute, 404: errorBody } },
  }, async (req) => {
    const r = await store.setNumber(req.params.did, req.body.flowId);
    await audit.record(req.principal!, 'ivr.number.set', r.did, { flowId: r.flowId });
    return r;
  });

  app.delete('/ivr/numbers/:did', { preHandler: write, schema: { tags, params: z.object({ did: didSchema }), response: { 204: z.null(), 404: errorBody } } },
    async (req, reply) => {
      await store.deleteNumber(req.params.did);
      await audit.record(req.principal!, 'ivr.number.delete', req.params.did);
      return reply.code(204).send(null);
    });

  app.get('/ivr/calendars', { preHandler: read, schema: { tags, response: { 200: z.array(calendarSchema) } } }, async () => store.listCalendars());

  app.get('/ivr/calendars/:id', { preHandler: read, schema: { tags, params: idParam, response: { 200: calendarSchema, 404: errorBody } } },
    async (req) => store.requireCalendar(req.params.id));

  app.post('/ivr/calendars', { preHandler: write, schema: { tags, body: calendarSchema, response: { 201: calendarSchema, 409: errorBody } } },
    async (req, reply) => {
      const c = await store.createCalendar(req.body);
      await audit.record(req.principal!, 'ivr.calendar.create', c.id);
      return reply.code(201).send(c);
    });

  app.put('/ivr/calendars/:id', { preHandler: write, schema: { tags, params: idParam, body: calendarSchema, response: { 200: calendarSchema, 404: errorBody, 409: errorBody } } },
    async (req) => {
      const c = await store.replaceCalendar(req.params.id, req.body);
      await audit.record(req.principal!, 'ivr.calendar.update', c.id);
      return c;
    });

  app.delete('/ivr/calendars/:id', { preHandler: write, schema: { tags, params: idParam, response: { 204: z.null(), 404: errorBody, 409: errorBody } } },
    async (req, reply) => {
      await store.deleteCalendar(req.params.id);
      await audit.record(req.principal!, 'ivr.calendar.delete', req.params.id);
      return reply.code(204).send(null);
    });
};
