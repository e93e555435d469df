import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { HttpError } from '../api/error-handler.js';
import { addDays, zonedToUtc } from '../compliance/zoned-time.js';
import { isValidZone, normalizePhone } from '../leads/phone.js';
import type { EffectGuard, RedisOp } from './effect-guard.js';
import { jobId, type SchedulerQueue } from './job-queue.js';
import { parsePaymentCsv, type CsvRowError } from './payment-csv.js';
import type { Payment, PaymentInput, Portfolio, ReminderOutcome, StepState } from './payment-schema.js';
import { REPORT_COUNTERS, type PaymentStore, type ReportCounter } from './payment-store.js';
import { toMinutes } from '../compliance/calling-window.js';

export interface PaymentServiceOptions {
  store: PaymentStore;
  queue: SchedulerQueue;
  guard: EffectGuard;
  defaultCountry?: string;
  /** A reminder step whose time passed longer ago than this is skipped at import (default 12 h). */
  lateStepGraceMs?: number;
  now?: () => number;
}

export type UpsertResult = 'created' | 'unchanged' | 'updated' | 'paid';

export interface ImportSummary {
  created: number;
  updated: number;
  unchanged: number;
  paid: number;
  errors: CsvRowError[];
}

export interface PaymentReport {
  portfolioId: string;
  payments: { total: number; pending: number; paid: number; optedOut: number; cancelled: number; promiseOutstanding: number };
  reminders: Record<ReportCounter, number>;
  rates: { reachRate: number; promiseRate: number; paidAfterReminderRate: number; optOutRate: number };
}

export const reminderJobId = (paymentId: string, step: number, attempt: number, fireAt: number): string => jobId('rem', paymentId, `s${step}`, `a${attempt}`, fireAt);

/** Due payments: import, reminder schedule per portfolio, paid (cancels every pending job at once), report. */
export class PaymentService {
  private readonly now: () => number;

  constructor(private readonly o: PaymentServiceOptions) {
    this.now = o.now ?? Date.now;
  }

  get store(): PaymentStore {
    return this.o.store;
  }

  static idFor(portfolioId: string, account: string, dueDate: string): string {
    return `pay-${createHash('sha256').update(`${portfolioId}\n${account}\n${dueDate}`).digest('hex').slice(0, 24)}`;
  }

  async portfolio(id: string): Promise<Portfolio> {
    const p = await this.o.store.getPortfolio(id);
    if (!p) throw new HttpError(404, 'not_found', `portfolio ${id} not found`);
    return p;
  }

  /** When step `offsetDays` of a payment fires: the portfolio's time of day, in the customer's zone. */
  static fireAt(dueDate: string, offsetDays: number, timeOfDay: string, zone: string): number {
    const [y, m, d] = dueDate.split('-').map(Number);
    const day = addDays(y, m, d, offsetDays);
    return zonedToUtc(day.year, day.month, day.day, toMinutes(timeOfDay), zone);
  }

  /** Creates (and schedules) or updates one payment; idempotent per (portfolio, account, due date). */
  async upsert(portfolio: Portfolio, input: PaymentInput): Promise<{ result: UpsertResult; payment: Payment }> {
    const n = normalizePhone(input.phone, this.o.defaultCountry ?? 'CN');
    if (!n.ok) throw new HttpError(400, 'bad_request', n.reason);
    if (!isValidZone(input.timezone)) throw new HttpError(400, 'bad_request', `unknown time zone ${input.timezone}`);
    const id = PaymentService.idFor(portfolio.id, input.account, input.dueDate);
    const now = this.now();
    const data = {
      id, portfolioId: portfolio.id, account: input.account, customer: input.customer, phone: n.e164, amount: input.amount,
      currency: input.currency, dueDate: input.dueDate, timezone: input.timezone,
    };
    const existing = await this.o.store.get(id);
    if (existing) {
      if (input.status === 'paid' && existing.payment.status !== 'paid') return { result: 'paid', payment: await this.markPaid(id, 'import') };
      const { createdAt, status: _s, steps: _st, reached: _r, updatedAt: _u, promise: _p, paidAt: _pa, ...old } = existing.payment;
      if (JSON.stringify(old) === JSON.stringify(data)) return { result: 'unchanged', payment: existing.payment };
      // New amount/phone/zone: the reminders read the payment when they fire, so no job changes.
      await this.o.store.redis.hset(this.o.store.key.pay(id), 'data', JSON.stringify({ ...data, createdAt }), 'updatedAt', now);
      return { result: 'updated', payment: (await this.o.store.get(id))!.payment };
    }

    const grace = this.o.lateStepGraceMs ?? 12 * 3600_000;
    const steps: StepState[] = [];
    const jobs: { step: number; id: string; fireAt: number }[] = [];
    const paid = input.status === 'paid';
    portfolio.offsetsDays.forEach((offsetDays, index) => {
      const fireAt = PaymentService.fireAt(input.dueDate, offsetDays, portfolio.timeOfDay, input.timezone);
      const late = fireAt < now - grace;
      steps.push({ index, offsetDays, fireAt, attempts: 0, state: paid ? 'cancelled' : late ? 'skipped' : 'scheduled' });
      if (!paid && !late) jobs.push({ step: index, id: reminderJobId(id, index, 1, fireAt), fireAt });
    });
    // Deterministic job ids: added before the commit, so a crash in between and a retry add nothing twice.
    for (const j of jobs) await this.o.queue.at('reminder', j.id, { paymentId: id, step: j.step, attempt: 1 }, j.fireAt, now);
    const k = this.o.store.key;
    const dueKey = Number(input.dueDate.replaceAll('-', ''));
    const ops: RedisOp[] = [
      ['HSET', k.pay(id), 'data', JSON.stringify({ ...data, createdAt: now }), 'status', paid ? 'paid' : 'pending', 'updatedAt', now,
        ...(paid ? ['paidAt', now] : []),
        ...steps.flatMap((s) => [`step:${s.index}`, JSON.stringify(s)]), ...jobs.flatMap((j) => [`job:${j.step}`, j.id])],
      ['ZADD', k.byPortfolio(portfolio.id), dueKey, id],
    ];
    if (paid) ops.push(['HINCRBY', k.report(portfolio.id), 'paid', 1]);
    const r = await this.o.guard.commit(`pay.create.${id}`, ops, [{ key: k.pay(id), field: 'data', equals: '' }]);
    const stored = await this.o.store.get(id);
    if (!stored) throw new Error(`payment ${id} vanished after create (${r})`);
    return { result: r === 'applied' ? (paid ? 'paid' : 'created') : 'unchanged', payment: stored.payment };
  }

  /** CSV import (header: account,customer,phone,amount,currency,due_date,timezone[,status]); bad rows are reported by line and skipped. */
  async importCsv(portfolioId: string, csv: Readable | string): Promise<ImportSummary> {
    const portfolio = await this.portfolio(portfolioId);
    const summary: ImportSummary = { created: 0, updated: 0, unchanged: 0, paid: 0, errors: [] };
    for await (const row of parsePaymentCsv(csv)) {
      if ('error' in row) {
        summary.errors.push(row.error);
        continue;
      }
      try {
        const { result } = await this.upsert(portfolio, row.input);
        summary[result]++;
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        summary.errors.push({ line: row.line, message: err.message });
      }
    }
    summary.errors.sort((a, b) => a.line - b.line);
    return summary;
  }

  /** Paid: every pending reminder job of the payment is removed at once, and any that is running finds it stale. */
  async markPaid(id: string, by: string): Promise<Payment> {
    const cur = await this.o.store.get(id);
    if (!cur) throw new HttpError(404, 'not_found', `payment ${id} not found`);
    const p = cur.payment;
    if (p.status === 'paid') return p;
    const now = this.now();
    const k = this.o.store.key;
    const ops: RedisOp[] = [
      ['HSET', k.pay(id), 'status', 'paid', 'paidAt', now, 'updatedAt', now, ...this.closeSteps(p, 'cancelled')],
      ['HDEL', k.pay(id), ...Object.keys(cur.jobs).map((s) => `job:${s}`), 'job:none'],
      ['HINCRBY', k.report(p.portfolioId), 'paid', 1],
      ['RPUSH', k.outcomes(id), JSON.stringify({ at: now, paymentId: id, step: -1, attempt: 0, result: 'reached', detail: `paid (${by})` } satisfies ReminderOutcome)],
    ];
    if (p.reached) ops.push(['HINCRBY', k.report(p.portfolioId), 'paidAfterReminder', 1]);
    await this.o.guard.commit(`pay.paid.${id}`, ops, [{ key: k.pay(id), field: 'status', equals: p.status }]);
    await this.o.queue.removeMany(Object.values(cur.jobs));
    return (await this.o.store.get(id))!.payment;
  }

  /** Withdrawn payment (DELETE): reminders stop, history stays. */
  async cancel(id: string): Promise<Payment> {
    const cur = await this.o.store.get(id);
    if (!cur) throw new HttpError(404, 'not_found', `payment ${id} not found`);
    if (cur.payment.status !== 'pending') return cur.payment;
    const k = this.o.store.key;
    await this.o.store.redis.multi()
      .hset(k.pay(id), 'status', 'cancelled', 'updatedAt', this.now(), ...this.closeSteps(cur.payment, 'cancelled'))
      .hdel(k.pay(id), ...Object.keys(cur.jobs).map((s) => `job:${s}`), 'job:none')
      .exec();
    await this.o.queue.removeMany(Object.values(cur.jobs));
    return (await this.o.store.get(id))!.payment;
  }

  private closeSteps(p: Payment, state: StepState['state']): string[] {
    return p.steps.filter((s) => s.state === 'scheduled').flatMap((s) => [`step:${s.index}`, JSON.stringify({ ...s, state })]);
  }

  async report(portfolioId: string): Promise<PaymentReport> {
    await this.portfolio(portfolioId);
    const [c, r] = await Promise.all([this.o.store.statusCounts(portfolioId), this.o.store.report(portfolioId)]);
    const total = c.pending + c.paid + c['opted-out'] + c.cancelled;
    const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 1000) / 1000 : 0);
    return {
      portfolioId,
      payments: { total, pending: c.pending, paid: c.paid, optedOut: c['opted-out'], cancelled: c.cancelled, promiseOutstanding: c.promiseOutstanding },
      reminders: r,
      rates: {
        reachRate: ratio(r.reached, r.calls), promiseRate: ratio(r.promised, r.reached),
        paidAfterReminderRate: ratio(r.paidAfterReminder, r.paid), optOutRate: ratio(r.optedOut, r.reached),
      },
    };
  }
}

export { REPORT_COUNTERS };
