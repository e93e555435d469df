import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import { maskPhone } from '../auth/roles.js';
import type { CallRegistry } from '../calls/call-registry.js';
import { ListenInError, type ListenInService } from '../supervisor/listen-in.js';
import { HttpError } from './error-handler.js';

export interface CallRoutesOptions {
  registry: CallRegistry;
  listenIn: ListenInService;
  audit: AuditLog;
}

const callView = z.object({
  callId: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  remoteNumber: z.string(),
  localNumber: z.string(),
});
const listenBody = z
  .object({
    /** The supervisor's own softphone (agent id whose registered contact is rung); defaults to the caller's agentId. */
    agentId: z.string().min(1).max(100).optional(),
    uri: z.string().regex(/^sips?:[^\s<>]+$/, 'a sip: URI').max(300).optional(),
  })
  .refine((b) => !(b.agentId && b.uri), { message: 'give agentId or uri, not both' });
const listenView = z.object({ id: z.string(), callId: z.string(), supervisor: z.string(), uri: z.string(), startedAt: z.string() });
const callParams = z.object({ callId: z.string().min(1).max(200) });
const errorBody = z.object({ error: z.string(), message: z.string() });

/** Active calls (numbers masked for agents) and supervisor listen-in; every listen-in is audit-logged. */
export const callRoutes: FastifyPluginAsyncZod<CallRoutesOptions> = async (app, { registry, listenIn, audit }) => {
  app.get('/calls', {
    preHandler: app.requireRole('agent', 'supervisor', 'admin'),
    schema: { tags: ['calls'], response: { 200: z.object({ items: z.array(callView) }) } },
  }, async (req) => {
    const role = req.principal!.role;
    return {
      items: registry.list().filter((c) => !c.ended).map((c) => ({
        callId: c.callId,
        direction: c.direction,
        remoteNumber: maskPhone(c.remoteNumber, role),
        localNumber: maskPhone(c.localNumber, role),
      })),
    };
  });

  app.post('/calls/:callId/listen', {
    preHandler: app.requireRole('supervisor', 'admin'),
    schema: { tags: ['calls'], params: callParams, body: listenBody, response: { 200: listenView, 404: errorBody, 409: errorBody, 502: errorBody } },
  }, async (req) => {
    const p = req.principal!;
    const { callId } = req.params;
    const agentId = req.body.agentId ?? (req.body.uri ? undefined : p.agentId);
    if (!agentId && !req.body.uri) throw new HttpError(400, 'bad_request', 'agentId or uri required (no softphone linked to this user)');
    // audit the attempt before any audio can flow
    await audit.record(p, 'call.listen', callId, { agentId, uri: req.body.uri });
    try {
      return await listenIn.listen(callId, { agentId, uri: req.body.uri }, p);
    } catch (err) {
      if (!(err instanceof ListenInError)) throw err;
      await audit.record(p, 'call.listen.failed', callId, { reason: err.code, sipStatus: err.sipStatus });
      if (err.code === 'call-not-found') throw new HttpError(404, 'not_found', err.message);
      if (err.code === 'no-contact') throw new HttpError(409, 'no_contact', err.message);
      throw new HttpError(502, err.code, err.message);
    }
  });

  app.get('/calls/listens', {
    preHandler: app.requireRole('supervisor', 'admin'),
    schema: { tags: ['calls'], response: { 200: z.object({ items: z.array(listenView) }) } },
  }, async () => ({ items: listenIn.list() }));
};
