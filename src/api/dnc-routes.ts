import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import { campaignScope, type DncScope, type DncStore } from '../compliance/dnc-store.js';
import { normalizePhone } from '../leads/phone.js';
import { HttpError } from './error-handler.js';

export interface DncRoutesOptions {
  dnc: DncStore;
  audit: AuditLog;
  /** Country for numbers given without +. */
  defaultCountry?: string;
}

const entrySchema = z.object({
  phone: z.string(), scope: z.string(), expiresAt: z.number().optional(), reason: z.string(), source: z.string(), addedAt: z.number(),
});
const scopeQuery = z.object({ campaignId: z.string().min(1).optional() });
const DAY = 24 * 3600_000;

/** Global and per-campaign do-not-call lists; every change is audit-logged. */
export const dncRoutes: FastifyPluginAsyncZod<DncRoutesOptions> = async (app, { dnc, audit, defaultCountry = 'CN' }) => {
  const phoneOf = (raw: string) => {
    const n = normalizePhone(raw, defaultCountry);
    if (!n.ok) throw new HttpError(400, 'bad_request', n.reason);
    return n.e164;
  };
  const scopeOf = (campaignId?: string): DncScope => (campaignId ? campaignScope(campaignId) : 'global');

  app.get('/dnc', {
    preHandler: app.requireRole('admin', 'supervisor'),
    schema: {
      tags: ['dnc'],
      querystring: scopeQuery.extend({ offset: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
      response: { 200: z.object({ total: z.number(), entries: z.array(entrySchema) }) },
    },
  }, async (req) => {
    const r = await dnc.list(scopeOf(req.query.campaignId), { offset: req.query.offset, limit: req.query.limit });
    return { total: r.total, entries: r.entries.map((e) => ({ ...e, ...(e.expiresAt === undefined ? {} : { expiresAt: e.expiresAt }) })) };
  });

  app.post('/dnc', {
    preHandler: app.requireRole('admin', 'supervisor'),
    schema: {
      tags: ['dnc'],
      body: z.object({
        phone: z.string().min(3).max(40), campaignId: z.string().min(1).optional(), reason: z.string().min(1).max(200).default('manual'),
        /** Either an explicit expiry or a period in days; neither = permanent. */
        expiresAt: z.iso.datetime().optional(), days: z.number().int().min(1).max(3650).optional(),
      }).refine((b) => !(b.expiresAt && b.days), 'give expiresAt or days, not both'),
      response: { 201: entrySchema },
    },
  }, async (req, reply) => {
    const b = req.body;
    const expiresAt = b.expiresAt ? Date.parse(b.expiresAt) : b.days ? Date.now() + b.days * DAY : undefined;
    const e = await dnc.add({ phone: phoneOf(b.phone), scope: scopeOf(b.campaignId), reason: b.reason, source: 'api', ...(expiresAt ? { expiresAt } : {}) });
    await audit.record(req.principal!, 'dnc.add', e.phone, { scope: e.scope, expiresAt });
    return reply.code(201).send(e);
  });

  app.delete('/dnc/:phone', {
    preHandler: app.requireRole('admin', 'supervisor'),
    schema: { tags: ['dnc'], params: z.object({ phone: z.string().min(3) }), querystring: scopeQuery },
  }, async (req, reply) => {
    const phone = phoneOf(req.params.phone);
    const scope = scopeOf(req.query.campaignId);
    if (!(await dnc.remove(phone, scope))) throw new HttpError(404, 'not_found', `${phone} is not on the ${scope} list`);
    await audit.record(req.principal!, 'dnc.remove', phone, { scope });
    return reply.code(204).send();
  });

  app.get('/dnc/check/:phone', {
    preHandler: app.requireRole('admin', 'supervisor'),
    schema: {
      tags: ['dnc'], params: z.object({ phone: z.string().min(3) }), querystring: scopeQuery,
      response: { 200: z.object({ listed: z.boolean(), entry: entrySchema.optional() }) },
    },
  }, async (req) => {
    const r = await dnc.check(phoneOf(req.params.phone), req.query.campaignId);
    return r.listed ? { listed: true, entry: r.entry } : { listed: false };
  });
};
