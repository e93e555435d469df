import type { Logger } from '../logger.js';
import type { EffectGuard, HashCheck, RedisOp } from './effect-guard.js';
import type { SchedulerQueue } from './job-queue.js';
import type { Payment, Portfolio, ReminderOutcome, StepState } from './payment-schema.js';
import { reminderJobId } from './payment-service.js';
import type { PaymentStore, ReportCounter, StoredPayment } from './payment-store.js';
import type { DialGuard, OptOutSink, Originator } from './ports.js';
import type { ReminderCallRunner } from './reminder-call.js';
import { isoOf, localDate } from './promise-date.js';

export interface ReminderRunnerOptions {
  store: PaymentStore;
  queue: SchedulerQueue;
  guard: EffectGuard;
  dialGuard: DialGuard;
  originator: Originator;
  call: ReminderCallRunner;
  optOut: OptOutSink;
  log: Logger;
  ringTimeoutMs?: number;
  now?: () => number;
}

export type ReminderJobResult = 'already-done' | 'stale' | 'skipped' | 'deferred' | 'blocked' | ReminderOutcome['result'];

const NOT_REACHED = new Set<ReminderOutcome['result']>(['no-answer', 'busy', 'failed', 'voicemail', 'interrupted']);

/**
 * One reminder job: checks the payment is still due and this job is the step's current one, asks the
 * DialGuard (windows, DNC, caps), calls, runs the reminder script, then commits outcome, counters and the
 * next attempt atomically with the job's done marker (BullMQ may run a job twice; the effect happens once).
 */
export class ReminderRunner {
  private readonly now: () => number;

  constructor(private readonly o: ReminderRunnerOptions) {
    this.now = o.now ?? Date.now;
  }

  async run(jobId: string, data: { paymentId: string; step: number; attempt: number }): Promise<ReminderJobResult> {
    const { guard, store, log } = this.o;
    if (await guard.isDone(jobId)) return 'already-done';
    const cur = await store.get(data.paymentId);
    const portfolio = cur ? await store.getPortfolio(cur.payment.portfolioId) : null;
    if (!cur || !portfolio || cur.payment.status !== 'pending' || cur.jobs[data.step] !== jobId) {
      await guard.commit(jobId, []);
      return 'stale';
    }
    const p = cur.payment;
    const step = p.steps.find((s) => s.index === data.step);
    if (!step) {
      await guard.commit(jobId, []);
      return 'stale';
    }
    const now = this.now();
    if (p.promise && p.promise.date >= isoOf(localDate(now, p.timezone))) {
      return this.finish(jobId, cur, portfolio, step, data.attempt, { state: 'skipped', outcome: null, detail: `promise to pay by ${p.promise.date}` }, 'skipped');
    }

    const d = await this.o.dialGuard.check({ phone: p.phone, timezone: p.timezone, scopeId: p.portfolioId }, now, { consume: true });
    if (!d.allowed) {
      if (d.nextAllowedAt !== undefined && d.nextAllowedAt > now) {
        return this.next(jobId, cur, portfolio, step, data.attempt, d.nextAllowedAt, { result: 'deferred', detail: `${d.reason} until ${new Date(d.nextAllowedAt).toISOString()}` }, 'deferred');
      }
      return this.finish(jobId, cur, portfolio, step, data.attempt, { state: 'blocked', outcome: { result: 'blocked', detail: d.reason }, counter: 'blocked' }, 'blocked');
    }

    // A call cannot be undone: claim it, so a re-run after a crash mid-call records 'interrupted' instead of calling again.
    const claim = await guard.commit(`${jobId}.dial`, []);
    let result: ReminderOutcome['result'];
    let promiseDate: string | undefined;
    let detail: string | undefined;
    if (claim !== 'applied') {
      result = 'interrupted';
    } else {
      const r = await this.o.originator.originate({
        to: p.phone, callerId: portfolio.callerId, ringTimeoutMs: this.o.ringTimeoutMs ?? 30_000,
        headers: { 'X-Payment-Id': p.id, 'X-Portfolio-Id': p.portfolioId },
      });
      if (r.outcome !== 'answered') {
        result = r.outcome === 'rejected' ? 'failed' : r.outcome;
        detail = r.sipStatus ? `SIP ${r.sipStatus}` : undefined;
      } else {
        try {
          const c = await this.o.call.run(r.call, p, portfolio);
          result = c.result === 'voicemail' ? 'voicemail' : c.result;
          promiseDate = c.promiseDate;
          detail = c.queueOutcome ? `queue ${c.queueOutcome}` : undefined;
        } catch (err) {
          log.error({ err, paymentId: p.id, callId: r.call.callId }, 'reminder script failed');
          result = 'failed';
          detail = (err as Error).message;
        } finally {
          if (!r.call.ended) await r.call.hangup().catch(() => undefined);
        }
      }
    }
    const after = this.now();
    if (NOT_REACHED.has(result)) {
      const counter: ReportCounter | undefined = result === 'voicemail' ? 'voicemail' : result === 'no-answer' || result === 'busy' ? 'noAnswer' : undefined;
      if (data.attempt < portfolio.maxAttempts) {
        const backoff = portfolio.retryBackoffMinutes[Math.min(data.attempt - 1, portfolio.retryBackoffMinutes.length - 1)] * 60_000;
        return this.next(jobId, cur, portfolio, step, data.attempt + 1, after + backoff, { result, ...(detail ? { detail } : {}) }, result, ['calls', ...(counter ? [counter] : [])]);
      }
      return this.finish(jobId, cur, portfolio, step, data.attempt, { state: 'failed', outcome: { result, ...(detail ? { detail } : {}) }, counters: ['calls', ...(counter ? [counter] : [])] }, result);
    }
    if (result === 'opted-out') await this.o.optOut.optOut(p.phone, p.portfolioId, 'payment reminder: caller pressed 3');
    const extra: RedisOp[] = [['HSET', store.key.pay(p.id), 'reached', '1']];
    if (result === 'promised' && promiseDate) extra.push(['HSET', store.key.pay(p.id), 'promise', JSON.stringify({ date: promiseDate, at: after })]);
    const counters: ReportCounter[] = ['calls', 'reached'];
    if (result === 'promised') counters.push('promised');
    if (result === 'agent') counters.push('agent');
    if (result === 'opted-out') counters.push('optedOut');
    return this.finish(jobId, cur, portfolio, step, data.attempt, {
      state: 'done', outcome: { result, ...(detail ? { detail } : {}) }, counters, extra,
      ...(result === 'opted-out' ? { status: 'opted-out' as const } : {}),
    }, result);
  }

  private outcomeOp(p: Payment, step: number, attempt: number, o: { result: ReminderOutcome['result']; detail?: string }): RedisOp {
    const rec: ReminderOutcome = { at: this.now(), paymentId: p.id, step, attempt, result: o.result, ...(o.detail ? { detail: o.detail } : {}) };
    return ['RPUSH', this.o.store.key.outcomes(p.id), JSON.stringify(rec)];
  }

  private checks(cur: StoredPayment, jobId: string, step: number): HashCheck[] {
    const key = this.o.store.key.pay(cur.payment.id);
    return [{ key, field: `job:${step}`, equals: jobId }, { key, field: 'status', equals: 'pending' }];
  }

  /** Same step again later (deferred by compliance, or the next attempt after no answer). */
  private async next(
    jobId: string, cur: StoredPayment, portfolio: Portfolio, step: StepState, attempt: number, fireAt: number,
    outcome: { result: ReminderOutcome['result']; detail?: string }, ret: ReminderJobResult, counters: ReportCounter[] = [],
  ): Promise<ReminderJobResult> {
    const p = cur.payment;
    const id = reminderJobId(p.id, step.index, attempt, fireAt);
    await this.o.queue.at('reminder', id, { paymentId: p.id, step: step.index, attempt }, fireAt, this.now());
    const k = this.o.store.key;
    const nextStep: StepState = { ...step, fireAt, attempts: attempt - 1, lastOutcome: outcome.result };
    const ops: RedisOp[] = [
      ['HSET', k.pay(p.id), `job:${step.index}`, id, `step:${step.index}`, JSON.stringify(nextStep), 'updatedAt', this.now()],
      this.outcomeOp(p, step.index, attempt, outcome),
      ...counters.map((c): RedisOp => ['HINCRBY', k.report(portfolio.id), c, 1]),
    ];
    if (outcome.result === 'deferred') ops.push(['HINCRBY', k.report(portfolio.id), 'deferred', 1]);
    const r = await this.o.guard.commit(jobId, ops, this.checks(cur, jobId, step.index));
    if (r !== 'applied') {
      await this.o.queue.removeMany([id]);
      return r;
    }
    this.o.log.info({ paymentId: p.id, step: step.index, attempt, fireAt: new Date(fireAt).toISOString(), why: outcome.result }, 'reminder rescheduled');
    return ret;
  }

  /** The step ends (done, failed, blocked or skipped). */
  private async finish(
    jobId: string, cur: StoredPayment, portfolio: Portfolio, step: StepState, attempt: number,
    f: { state: StepState['state']; outcome: { result: ReminderOutcome['result']; detail?: string } | null; detail?: string; counter?: ReportCounter; counters?: ReportCounter[]; extra?: RedisOp[]; status?: Payment['status'] },
    ret: ReminderJobResult,
  ): Promise<ReminderJobResult> {
    const p = cur.payment;
    const k = this.o.store.key;
    const doneStep: StepState = { ...step, state: f.state, attempts: f.outcome ? attempt : step.attempts, ...(f.outcome ? { lastOutcome: f.outcome.result } : f.detail ? { lastOutcome: f.detail } : {}) };
    const ops: RedisOp[] = [
      ['HSET', k.pay(p.id), `step:${step.index}`, JSON.stringify(doneStep), 'updatedAt', this.now(), ...(f.status ? ['status', f.status] : [])],
      ['HDEL', k.pay(p.id), `job:${step.index}`],
      ...(f.outcome ? [this.outcomeOp(p, step.index, attempt, f.outcome)] : []),
      ...[...(f.counters ?? []), ...(f.counter ? [f.counter] : [])].map((c): RedisOp => ['HINCRBY', k.report(portfolio.id), c, 1]),
      ...(f.extra ?? []),
    ];
    if (f.status === 'opted-out') {
      // Stop every other step of this payment too.
      for (const s of p.steps) {
        if (s.index === step.index || s.state !== 'scheduled') continue;
        ops.push(['HSET', k.pay(p.id), `step:${s.index}`, JSON.stringify({ ...s, state: 'cancelled' })], ['HDEL', k.pay(p.id), `job:${s.index}`]);
      }
    }
    const r = await this.o.guard.commit(jobId, ops, this.checks(cur, jobId, step.index));
    if (r !== 'applied') return r;
    if (f.status === 'opted-out') await this.o.queue.removeMany(Object.entries(cur.jobs).filter(([s]) => Number(s) !== step.index).map(([, id]) => id));
    this.o.log.info({ paymentId: p.id, step: step.index, attempt, state: f.state, result: ret }, 'reminder step finished');
    return ret;
  }
}
