import type { Redis } from 'ioredis';
import type { Keys } from '../redis.js';
import {
  paymentSchema, portfolioSchema, reminderOutcomeSchema, stepStateSchema,
  type Payment, type Portfolio, type ReminderOutcome, type StepState,
} from './payment-schema.js';

/** Counters of GET /payments/report, per portfolio. */
export const REPORT_COUNTERS = ['calls', 'reached', 'promised', 'optedOut', 'agent', 'voicemail', 'noAnswer', 'deferred', 'blocked', 'paid', 'paidAfterReminder'] as const;
export type ReportCounter = (typeof REPORT_COUNTERS)[number];

export interface StoredPayment {
  payment: Payment;
  /** Step index -> id of the one job that may act on that step. */
  jobs: Record<number, string>;
}

/**
 * Payments in Redis. One hash per payment with separate fields, so the paid API and a running reminder
 * never overwrite each other's writes:
 *  sched:pay:<id>                   data (static JSON), status, promise, paidAt, reached, updatedAt, step:<i>, job:<i>
 *  sched:pay:<id>:outcomes          list of ReminderOutcome JSON
 *  sched:pays:portfolio:<pid>       zset id -> due date (yyyymmdd)
 *  sched:portfolio:<pid>            portfolio JSON; sched:portfolios set of ids
 *  sched:portfolio:<pid>:report     hash of REPORT_COUNTERS
 */
export class PaymentStore {
  constructor(readonly redis: Redis, readonly keys: Keys) {}

  key = {
    pay: (id: string) => this.keys.k('sched', 'pay', id),
    outcomes: (id: string) => this.keys.k('sched', 'pay', id, 'outcomes'),
    byPortfolio: (pid: string) => this.keys.k('sched', 'pays', 'portfolio', pid),
    portfolio: (pid: string) => this.keys.k('sched', 'portfolio', pid),
    portfolios: () => this.keys.k('sched', 'portfolios'),
    report: (pid: string) => this.keys.k('sched', 'portfolio', pid, 'report'),
  };

  async savePortfolio(p: Portfolio): Promise<void> {
    await this.redis.multi().set(this.key.portfolio(p.id), JSON.stringify(p)).sadd(this.key.portfolios(), p.id).exec();
  }

  async getPortfolio(id: string): Promise<Portfolio | null> {
    const raw = await this.redis.get(this.key.portfolio(id));
    return raw ? portfolioSchema.parse(JSON.parse(raw)) : null;
  }

  async listPortfolios(): Promise<Portfolio[]> {
    const ids = (await this.redis.smembers(this.key.portfolios())).sort();
    const all = await Promise.all(ids.map((id) => this.getPortfolio(id)));
    return all.filter((p): p is Portfolio => !!p);
  }

  static fromHash(h: Record<string, string>): StoredPayment | null {
    if (!h.data) return null;
    const data = JSON.parse(h.data) as Omit<Payment, 'status' | 'steps' | 'reached' | 'updatedAt'>;
    const steps: StepState[] = [];
    const jobs: Record<number, string> = {};
    for (const [f, v] of Object.entries(h)) {
      if (f.startsWith('step:')) steps.push(stepStateSchema.parse(JSON.parse(v)));
      else if (f.startsWith('job:')) jobs[Number(f.slice(4))] = v;
    }
    steps.sort((a, b) => a.index - b.index);
    const payment = paymentSchema.parse({
      ...data, status: h.status, steps, reached: h.reached === '1', updatedAt: Number(h.updatedAt ?? data.createdAt),
      ...(h.promise ? { promise: JSON.parse(h.promise) } : {}), ...(h.paidAt ? { paidAt: Number(h.paidAt) } : {}),
    });
    return { payment, jobs };
  }

  async get(id: string): Promise<StoredPayment | null> {
    return PaymentStore.fromHash(await this.redis.hgetall(this.key.pay(id)));
  }

  async list(portfolioId: string, opts: { offset?: number; limit?: number; status?: Payment['status'] } = {}): Promise<{ total: number; payments: Payment[] }> {
    const total = await this.redis.zcard(this.key.byPortfolio(portfolioId));
    const off = opts.offset ?? 0;
    const ids = await this.redis.zrange(this.key.byPortfolio(portfolioId), off, off + (opts.limit ?? 100) - 1);
    const p = this.redis.pipeline();
    for (const id of ids) p.hgetall(this.key.pay(id));
    const rows = ((await p.exec()) ?? []).map(([, h]) => PaymentStore.fromHash(h as Record<string, string>)?.payment ?? null);
    return { total, payments: rows.filter((x): x is Payment => !!x && (!opts.status || x.status === opts.status)) };
  }

  async statusCounts(portfolioId: string): Promise<Record<Payment['status'] | 'promiseOutstanding', number>> {
    const counts = { pending: 0, paid: 0, 'opted-out': 0, cancelled: 0, promiseOutstanding: 0 };
    let cursor = 0;
    for (;;) {
      const ids = await this.redis.zrange(this.key.byPortfolio(portfolioId), cursor, cursor + 999);
      if (!ids.length) break;
      const p = this.redis.pipeline();
      for (const id of ids) p.hmget(this.key.pay(id), 'status', 'promise');
      for (const [, v] of (await p.exec()) ?? []) {
        const [status, promise] = v as [string | null, string | null];
        if (status && status in counts) counts[status as Payment['status']]++;
        if (status === 'pending' && promise) counts.promiseOutstanding++;
      }
      cursor += ids.length;
    }
    return counts;
  }

  async outcomes(id: string): Promise<ReminderOutcome[]> {
    return (await this.redis.lrange(this.key.outcomes(id), 0, -1)).map((r) => reminderOutcomeSchema.parse(JSON.parse(r)));
  }

  async report(portfolioId: string): Promise<Record<ReportCounter, number>> {
    const h = await this.redis.hgetall(this.key.report(portfolioId));
    return Object.fromEntries(REPORT_COUNTERS.map((c) => [c, Number(h[c] ?? 0)])) as Record<ReportCounter, number>;
  }
}
