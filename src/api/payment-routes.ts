import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import { paymentInputSchema, paymentSchema, paymentStatusSchema, portfolioSchema, reminderOutcomeSchema } from '../scheduler/payment-schema.js';
import type { PaymentService } from '../scheduler/payment-service.js';
import { REPORT_COUNTERS } from '../scheduler/payment-store.js';
import { HttpError } from './error-handler.js';

export interface PaymentRoutesOptions {
  payments: PaymentService;
  audit: AuditLog;
}

const idParams = z.object({ id: z.string().min(1).max(100) });
const portfolioQuery = z.object({ portfolio: z.string().min(1).max(64) });
const importSummarySchema = z.object({
  created: z.number(), updated: z.number(), unchanged: z.number(), paid: z.number(),
  errors: z.array(z.object({ line: z.number(), message: z.string() })),
});
const counters = z.object(Object.fromEntries(REPORT_COUNTERS.map((c) => [c, z.number()])) as Record<(typeof REPORT_COUNTERS)[number], z.ZodNumber>);
const reportSchema = z.object({
  portfolioId: z.string(),
  payments: z.object({ total: z.number(), pending: z.number(), paid: z.number(), optedOut: z.number(), cancelled: z.number(), promiseOutstanding: z.number() }),
  reminders: counters,
  rates: z.object({ reachRate: z.number(), promiseRate: z.number(), paidAfterReminderRate: z.number(), optOutRate: z.number() }),
});

/** Due payments and their reminder portfolios (admins and supervisors; customer data, so reads are audit-logged). */
export const paymentRoutes: FastifyPluginAsyncZod<PaymentRoutesOptions> = async (app, { payments, audit }) => {
  const staff = app.requireRole('admin', 'supervisor');
  // The CSV body reaches the handler as a stream: large files are parsed row by row.
  app.addContentTypeParser('text/csv', (_req, payload, done) => done(null, payload));

  app.put('/payments/portfolios/:id', {
    preHandler: app.requireRole('admin'),
    schema: { tags: ['payments'], params: idParams, body: portfolioSchema.omit({ id: true }), response: { 200: portfolioSchema } },
  }, async (req) => {
    const p = portfolioSchema.parse({ ...req.body, id: req.params.id });
    await payments.store.savePortfolio(p);
    await audit.record(req.principal!, 'portfolio.save', p.id, { offsetsDays: p.offsetsDays });
    return p;
  });

  app.get('/payments/portfolios', {
    preHandler: staff,
    schema: { tags: ['payments'], response: { 200: z.object({ portfolios: z.array(portfolioSchema) }) } },
  }, async () => ({ portfolios: await payments.store.listPortfolios() }));

  app.get('/payments/portfolios/:id', {
    preHandler: staff,
    schema: { tags: ['payments'], params: idParams, response: { 200: portfolioSchema } },
  }, async (req) => payments.portfolio(req.params.id));

  app.post('/payments/import', {
    preHandler: staff,
    schema: { tags: ['payments'], querystring: portfolioQuery, consumes: ['text/csv'], response: { 200: importSummarySchema } },
  }, async (req) => {
    if (!String(req.headers['content-type'] ?? '').startsWith('text/csv')) throw new HttpError(415, 'unsupported_media_type', 'send the file as text/csv');
    const summary = await payments.importCsv(req.query.portfolio, req.body as Readable);
    await audit.record(req.principal!, 'payments.import', req.query.portfolio, { ...summary, errors: summary.errors.length });
    return summary;
  });

  app.post('/payments', {
    preHandler: staff,
    schema: {
      tags: ['payments'], body: paymentInputSchema.extend({ portfolioId: z.string().min(1).max(64) }),
      response: { 200: paymentSchema, 201: paymentSchema },
    },
  }, async (req, reply) => {
    const { portfolioId, ...input } = req.body;
    const r = await payments.upsert(await payments.portfolio(portfolioId), input);
    return reply.code(r.result === 'created' ? 201 : 200).send(r.payment);
  });

  app.get('/payments/report', {
    preHandler: staff,
    schema: { tags: ['payments'], querystring: portfolioQuery, response: { 200: reportSchema } },
  }, async (req) => payments.report(req.query.portfolio));

  app.get('/payments', {
    preHandler: staff,
    schema: {
      tags: ['payments'],
      querystring: portfolioQuery.extend({
        status: paymentStatusSchema.optional(), offset: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(1000).default(100),
      }),
      response: { 200: z.object({ total: z.number(), payments: z.array(paymentSchema) }) },
    },
  }, async (req) => {
    const q = req.query;
    const r = await payments.store.list(q.portfolio, { offset: q.offset, limit: q.limit, ...(q.status ? { status: q.status } : {}) });
    await audit.record(req.principal!, 'payments.list', q.portfolio, { count: r.payments.length });
    return r;
  });

  app.get('/payments/:id', {
    preHandler: staff,
    schema: { tags: ['payments'], params: idParams, response: { 200: paymentSchema.extend({ outcomes: z.array(reminderOutcomeSchema) }) } },
  }, async (req) => {
    const p = await payments.store.get(req.params.id);
    if (!p) throw new HttpError(404, 'not_found', `payment ${req.params.id} not found`);
    await audit.record(req.principal!, 'payments.read', p.payment.id);
    return { ...p.payment, outcomes: await payments.store.outcomes(p.payment.id) };
  });

  app.post('/payments/:id/paid', {
    preHandler: staff,
    schema: { tags: ['payments'], params: idParams, response: { 200: paymentSchema } },
  }, async (req) => {
    const p = await payments.markPaid(req.params.id, req.principal!.sub);
    await audit.record(req.principal!, 'payments.paid', p.id);
    return p;
  });

  app.delete('/payments/:id', {
    preHandler: staff,
    schema: { tags: ['payments'], params: idParams, response: { 200: paymentSchema } },
  }, async (req) => {
    const p = await payments.cancel(req.params.id);
    await audit.record(req.principal!, 'payments.cancel', p.id);
    return p;
  });
};
