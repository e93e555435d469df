import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import { maskPhone } from '../auth/roles.js';
import { campaignInputSchema, campaignSchema } from '../dialer/campaign.js';
import type { CampaignStore } from '../dialer/campaign-store.js';
import type { DialerManager } from '../dialer/dialer-manager.js';
import { HttpError } from './error-handler.js';

export interface CampaignRoutesOptions {
  campaigns: CampaignStore;
  audit: AuditLog;
  /** Absent on API-only instances: start/pause/preview then answer 503. */
  dialers?: DialerManager;
}

const idParams = z.object({ id: z.string().min(1) });
const statusSchema = z.object({
  campaignId: z.string(), running: z.boolean(), ringing: z.number(), waiting: z.number(), active: z.number(),
  dialed: z.number(), answered: z.number(), abandoned: z.number(), answerRate: z.number(), rollingAbandonRate: z.number(),
});
const previewLead = z.object({
  id: z.string(), phone: z.string(), name: z.string().optional(), fields: z.record(z.string(), z.string()),
  interest: z.string().optional(), ownerAgentId: z.string().optional(), attempts: z.number(),
});

/** Campaign CRUD (zod-validated), dialer start/pause/status, and the preview-mode agent actions. */
export const campaignRoutes: FastifyPluginAsyncZod<CampaignRoutesOptions> = async (app, { campaigns, audit, dialers }) => {
  const need = () => {
    if (!dialers) throw new HttpError(503, 'unavailable', 'no dialer runs on this instance');
    return dialers;
  };

  app.get('/campaigns', {
    preHandler: app.requireRole('admin', 'supervisor', 'agent'),
    schema: { tags: ['campaigns'], response: { 200: z.array(campaignSchema) } },
  }, async () => campaigns.list());

  app.post('/campaigns', {
    preHandler: app.requireRole('admin', 'supervisor'),
    schema: { tags: ['campaigns'], body: campaignInputSchema, response: { 201: campaignSchema } },
  }, async (req, reply) => {
    const c = await campaigns.create(req.body);
    await audit.record(req.principal!, 'campaign.create', c.id, { name: c.name, dialMode: c.dialMode });
    return reply.code(201).send(c);
  });

  app.get('/campaigns/:id', {
    preHandler: app.requireRole('admin', 'supervisor', 'agent'),
    schema: { tags: ['campaigns'], params: idParams, response: { 200: campaignSchema } },
  }, async (req) => campaigns.require(req.params.id));

  app.patch('/campaigns/:id', {
    preHandler: app.requireRole('admin', 'supervisor'),
    // Partial body; the merged campaign is validated as a whole by the store.
    schema: { tags: ['campaigns'], params: idParams, body: z.record(z.string(), z.unknown()), response: { 200: campaignSchema } },
  }, async (req) => {
    const c = await campaigns.update(req.params.id, req.body);
    await dialers?.refresh(c.id);
    await audit.record(req.principal!, 'campaign.update', c.id, { fields: Object.keys(req.body) });
    return c;
  });

  app.delete('/campaigns/:id', {
    preHandler: app.requireRole('admin'),
    schema: { tags: ['campaigns'], params: idParams },
  }, async (req, reply) => {
    const c = await campaigns.require(req.params.id);
    if (dialers?.status(c.id).running) throw new HttpError(409, 'conflict', 'pause the campaign before deleting it');
    await campaigns.remove(c.id);
    await audit.record(req.principal!, 'campaign.delete', c.id);
    return reply.code(204).send();
  });

  app.post('/campaigns/:id/start', {
    preHandler: app.requireRole('admin', 'supervisor'),
    schema: { tags: ['campaigns'], params: idParams, response: { 200: statusSchema } },
  }, async (req) => {
    const s = await need().start(req.params.id);
    await audit.record(req.principal!, 'campaign.start', req.params.id);
    return s;
  });

  app.post('/campaigns/:id/pause', {
    preHandler: app.requireRole('admin', 'supervisor'),
    schema: { tags: ['campaigns'], params: idParams, response: { 200: statusSchema } },
  }, async (req) => {
    const s = await need().pause(req.params.id);
    await audit.record(req.principal!, 'campaign.pause', req.params.id);
    return s;
  });

  app.get('/campaigns/:id/dialer', {
    preHandler: app.requireRole('admin', 'supervisor'),
    schema: { tags: ['campaigns'], params: idParams, response: { 200: statusSchema } },
  }, async (req) => {
    await campaigns.require(req.params.id);
    return need().status(req.params.id);
  });

  app.post('/campaigns/:id/preview/next', {
    preHandler: app.requireRole('agent', 'supervisor'),
    schema: { tags: ['campaigns'], params: idParams, response: { 200: z.object({ lead: previewLead.nullable() }) } },
  }, async (req) => {
    const p = req.principal!;
    if (!p.agentId) throw new HttpError(403, 'forbidden', 'only users with an agent id take preview leads');
    const l = await need().previewNext(req.params.id, p.agentId);
    return { lead: l ? { ...l, phone: maskPhone(l.phone, p.role) } : null };
  });

  for (const action of ['dial', 'skip'] as const) {
    app.post(`/campaigns/:id/preview/:leadId/${action}`, {
      preHandler: app.requireRole('agent', 'supervisor'),
      schema: { tags: ['campaigns'], params: idParams.extend({ leadId: z.string().min(1) }), response: { 202: z.object({ ok: z.literal(true) }) } },
    }, async (req, reply) => {
      const p = req.principal!;
      if (!p.agentId) throw new HttpError(403, 'forbidden', 'only users with an agent id take preview leads');
      if (action === 'dial') await need().previewDial(req.params.id, req.params.leadId, p.agentId);
      else await need().previewSkip(req.params.id, req.params.leadId, p.agentId);
      return reply.code(202).send({ ok: true as const });
    });
  }
};
