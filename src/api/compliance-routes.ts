import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CallStatsStore } from '../compliance/call-stats.js';
import type { RefusalLog } from '../compliance/refusal-log.js';
import { refusalReasonSchema } from '../compliance/refusal-log.js';
import type { CampaignStore } from '../dialer/campaign-store.js';

export interface ComplianceRoutesOptions {
  campaigns: CampaignStore;
  callStats: CallStatsStore;
  refusals: RefusalLog;
}

const windowStats = z.object({
  from: z.string(), to: z.string(), dialed: z.number(), answered: z.number(), connected: z.number(),
  abandoned: z.number(), outsideHours: z.number(), abandonRate: z.number(),
});
const HOUR = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Per-campaign compliance report (abandon rate per window, calls outside hours, DNC hits blocked) and the refusal log. */
export const complianceRoutes: FastifyPluginAsyncZod<ComplianceRoutesOptions> = async (app, o) => {
  app.get('/campaigns/:id/compliance-report', {
    preHandler: app.requireRole('admin', 'supervisor'),
    schema: {
      tags: ['compliance'], params: z.object({ id: z.string().min(1) }),
      querystring: z.object({
        from: z.iso.datetime().optional(), to: z.iso.datetime().optional(),
        /** Size of each reported window in hours (default: the campaign's rolling abandon window). */
        windowHours: z.coerce.number().int().min(1).max(31 * 24).optional(),
      }),
      response: {
        200: z.object({
          campaignId: z.string(), abandonRateTarget: z.number(), abandonWindowHours: z.number(),
          rolling: windowStats, windows: z.array(windowStats), callsOutsideHours: z.number(), dncHitsBlocked: z.number(),
          refusals: z.record(z.string(), z.number()), compliant: z.boolean(),
        }),
      },
    },
  }, async (req) => {
    const c = await o.campaigns.require(req.params.id);
    const now = Date.now();
    const to = req.query.to ? Date.parse(req.query.to) : now;
    const windowMs = (req.query.windowHours ?? c.abandonWindowMs / HOUR) * HOUR;
    const from = req.query.from ? Date.parse(req.query.from) : to - 7 * 24 * HOUR;
    const [rolling, windows, refusals] = await Promise.all([
      o.callStats.totals(c.id, now - c.abandonWindowMs, now + 1),
      o.callStats.perWindow(c.id, from, to, windowMs),
      o.refusals.counts(c.id),
    ]);
    const fmt = (w: typeof rolling) => ({ ...w, from: iso(w.from), to: iso(w.to) });
    const callsOutsideHours = windows.reduce((s, w) => s + w.outsideHours, 0);
    return {
      campaignId: c.id, abandonRateTarget: c.abandonRateTarget, abandonWindowHours: c.abandonWindowMs / HOUR,
      rolling: fmt(rolling), windows: windows.map(fmt), callsOutsideHours,
      dncHitsBlocked: (refusals['dnc-global'] ?? 0) + (refusals['dnc-campaign'] ?? 0),
      refusals: refusals as Record<string, number>,
      compliant: callsOutsideHours === 0 && windows.every((w) => w.abandonRate <= c.abandonRateTarget),
    };
  });

  app.get('/campaigns/:id/refusals', {
    preHandler: app.requireRole('admin', 'supervisor'),
    schema: {
      tags: ['compliance'], params: z.object({ id: z.string().min(1) }),
      querystring: z.object({ count: z.coerce.number().int().min(1).max(1000).default(100) }),
      response: {
        200: z.array(z.object({
          at: z.string(), leadId: z.string(), phone: z.string(), reason: refusalReasonSchema,
          detail: z.string().optional(), nextAllowedAt: z.string().optional(),
        })),
      },
    },
  }, async (req) => {
    await o.campaigns.require(req.params.id);
    return (await o.refusals.list(req.params.id, req.query.count)).map((r) => ({
      at: iso(r.at), leadId: r.leadId, phone: r.phone, reason: r.reason,
      ...(r.detail ? { detail: r.detail } : {}), ...(r.nextAllowedAt ? { nextAllowedAt: iso(r.nextAllowedAt) } : {}),
    }));
  });
};
