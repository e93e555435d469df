import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import { maskPhone, type Principal } from '../auth/roles.js';
import type { CampaignStore } from '../dialer/campaign-store.js';
import { importLeadsCsv } from '../leads/csv-import.js';
import type { DispositionService } from '../leads/disposition-service.js';
import { interestLevelSchema } from '../leads/dispositions.js';
import { attemptSchema, leadSchema, type Lead } from '../leads/lead.js';
import type { LeadStore } from '../leads/lead-store.js';
import type { OwnerLookup } from '../leads/owner-lookup.js';
import { HttpError } from './error-handler.js';

export interface LeadRoutesOptions {
  campaigns: CampaignStore;
  leads: LeadStore;
  dispositions: DispositionService;
  owners: OwnerLookup;
  audit: AuditLog;
}

const campaignParams = z.object({ id: z.string().min(1) });
const leadParams = z.object({ leadId: z.string().min(1) });
const importResult = z.object({
  imported: z.number(), merged: z.number(), rejectedTotal: z.number(),
  rejected: z.array(z.object({ line: z.number(), reason: z.string() })),
});

/** Agents see masked numbers and only their own leads; supervisors and admins see everything. */
function visible(l: Lead, p: Principal): Lead {
  return { ...l, phone: maskPhone(l.phone, p.role) };
}

function assertCanSee(l: Lead, p: Principal): void {
  if (p.role === 'agent' && l.ownerAgentId !== p.agentId) throw new HttpError(404, 'not_found', `lead ${l.id} not found`);
}

const CSV_COLUMNS = ['id', 'phone', 'name', 'timezone', 'timezone_source', 'interest', 'owner', 'referred_by', 'status', 'attempts', 'last_disposition'];

function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Lead import (CSV stream), listing, screen-pop data, attempts, dispositions, export and owner lookup. */
export const leadRoutes: FastifyPluginAsyncZod<LeadRoutesOptions> = async (app, o) => {
  // The CSV body stays a stream: the importer reads it batch by batch (1 M rows never sit in memory).
  app.addContentTypeParser('text/csv', (_req, payload, done) => done(null, payload));

  app.post('/campaigns/:id/leads/import', {
    preHandler: app.requireRole('admin', 'supervisor'),
    bodyLimit: 1024 * 1024 * 1024,
    schema: { tags: ['leads'], params: campaignParams, response: { 200: importResult } },
  }, async (req) => {
    if (!String(req.headers['content-type'] ?? '').startsWith('text/csv')) {
      throw new HttpError(415, 'unsupported_media_type', 'send the lead list as text/csv');
    }
    const c = await o.campaigns.require(req.params.id);
    const result = await importLeadsCsv(o.leads, { campaignId: c.id, defaultCountry: c.defaultCountry, defaultTimezone: c.defaultTimezone }, req.body as Readable);
    await o.audit.record(req.principal!, 'leads.import', c.id, { imported: result.imported, merged: result.merged, rejected: result.rejectedTotal });
    return result;
  });

  app.get('/campaigns/:id/leads', {
    preHandler: app.requireRole('admin', 'supervisor', 'agent'),
    schema: {
      tags: ['leads'], params: campaignParams,
      querystring: z.object({ offset: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(500).default(50) }),
      response: { 200: z.object({ total: z.number(), leads: z.array(leadSchema) }) },
    },
  }, async (req) => {
    const p = req.principal!;
    await o.campaigns.require(req.params.id);
    if (p.role === 'agent' && !p.agentId) return { total: 0, leads: [] };
    const r = await o.leads.list(req.params.id, { ...req.query, ...(p.role === 'agent' ? { ownerAgentId: p.agentId } : {}) });
    return { total: r.total, leads: r.leads.map((l) => visible(l, p)) };
  });

  app.get('/campaigns/:id/leads/export', {
    preHandler: app.requireRole('admin', 'supervisor'),
    schema: { tags: ['leads'], params: campaignParams },
  }, async (req, reply) => {
    const c = await o.campaigns.require(req.params.id);
    await o.audit.record(req.principal!, 'leads.export', c.id, { format: 'csv' });
    const leads = o.leads;
    async function* rows() {
      yield `${CSV_COLUMNS.join(',')},fields\n`;
      for await (const l of leads.iterate(c.id)) {
        yield [l.id, l.phone, l.name, l.timezone, l.timezoneSource, l.interest, l.ownerAgentId, l.referredBy, l.status, l.attempts, l.lastDisposition, JSON.stringify(l.fields)]
          .map(csvCell).join(',') + '\n';
      }
    }
    return reply.type('text/csv').header('content-disposition', `attachment; filename="leads-${c.id}.csv"`).send(Readable.from(rows()));
  });

  app.get('/leads/:leadId', {
    preHandler: app.requireRole('admin', 'supervisor', 'agent'),
    schema: { tags: ['leads'], params: leadParams, response: { 200: leadSchema } },
  }, async (req) => {
    const l = await o.leads.get(req.params.leadId);
    if (!l) throw new HttpError(404, 'not_found', `lead ${req.params.leadId} not found`);
    assertCanSee(l, req.principal!);
    return visible(l, req.principal!);
  });

  app.patch('/leads/:leadId', {
    preHandler: app.requireRole('admin', 'supervisor', 'agent'),
    schema: {
      tags: ['leads'], params: leadParams,
      body: z.object({
        name: z.string().max(200).optional(), interest: interestLevelSchema.optional(),
        fields: z.record(z.string(), z.string()).optional(),
        /** Reassigning a customer to another rep is a supervisor decision. */
        ownerAgentId: z.string().min(1).max(64).optional(),
      }).strict(),
      response: { 200: leadSchema },
    },
  }, async (req) => {
    const p = req.principal!;
    const l = await o.leads.get(req.params.leadId);
    if (!l) throw new HttpError(404, 'not_found', `lead ${req.params.leadId} not found`);
    assertCanSee(l, p);
    if (req.body.ownerAgentId && p.role === 'agent') throw new HttpError(403, 'forbidden', 'only supervisors reassign owners');
    const { fields, ...rest } = req.body;
    const next = await o.leads.update(l.id, { ...rest, ...(fields ? { fields: { ...l.fields, ...fields } } : {}) });
    if (req.body.ownerAgentId) await o.audit.record(p, 'lead.reassign', l.id, { from: l.ownerAgentId, to: req.body.ownerAgentId });
    return visible(next, p);
  });

  app.get('/leads/:leadId/attempts', {
    preHandler: app.requireRole('admin', 'supervisor', 'agent'),
    schema: { tags: ['leads'], params: leadParams, response: { 200: z.array(attemptSchema) } },
  }, async (req) => {
    const l = await o.leads.get(req.params.leadId);
    if (!l) throw new HttpError(404, 'not_found', `lead ${req.params.leadId} not found`);
    assertCanSee(l, req.principal!);
    return o.leads.attempts(l.id);
  });

  app.post('/leads/:leadId/disposition', {
    preHandler: app.requireRole('admin', 'supervisor', 'agent'),
    schema: {
      tags: ['leads'], params: leadParams,
      body: z.object({
        code: z.string().min(1), callbackAt: z.iso.datetime().optional(), interest: interestLevelSchema.optional(),
        note: z.string().max(2000).optional(), callId: z.string().max(200).optional(),
      }),
      response: { 200: leadSchema },
    },
  }, async (req) => {
    const p = req.principal!;
    const l = await o.leads.get(req.params.leadId);
    if (!l) throw new HttpError(404, 'not_found', `lead ${req.params.leadId} not found`);
    // An agent dispositions leads they own or unowned ones they just talked to (and then own).
    if (p.role === 'agent' && l.ownerAgentId && l.ownerAgentId !== p.agentId) throw new HttpError(404, 'not_found', `lead ${l.id} not found`);
    const c = await o.campaigns.require(l.campaignId);
    const b = req.body;
    const updated = await o.dispositions.apply(c, {
      leadId: l.id, code: b.code, ...(p.agentId ? { agentId: p.agentId } : {}),
      ...(b.callbackAt ? { callbackAt: Date.parse(b.callbackAt) } : {}), ...(b.interest ? { interest: b.interest } : {}),
      ...(b.note ? { note: b.note } : {}), ...(b.callId ? { callId: b.callId } : {}),
    });
    return visible(updated, p);
  });

  app.get('/owners/:key', {
    preHandler: app.requireRole('admin', 'supervisor'),
    schema: { tags: ['leads'], params: z.object({ key: z.string().min(1) }), response: { 200: z.object({ ownerAgentId: z.string().nullable() }) } },
  }, async (req) => ({ ownerAgentId: await o.owners.ownerOf(req.params.key) }));
};
