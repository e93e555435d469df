import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDialGuard, FakeOptOut, FakeOriginator, FakeQueueEntry, silentLog, testScheduler } from '../../support/scheduler-fakes.js';
import { ReminderRunner } from '../../../src/scheduler/reminder-runner.js';
import { ReminderCall, type ReminderPrompts } from '../../../src/scheduler/reminder-call.js';
import { portfolioSchema } from '../../../src/scheduler/payment-schema.js';

// No worker in this file: the handler is driven directly with the ids of the jobs the service queued.
const t = testScheduler();
const { s } = t;
const dialGuard = new FakeDialGuard();
const originator = new FakeOriginator();
const optOut = new FakeOptOut();
const names = new Proxy({}, { get: (_t, k: string) => () => [k] }) as ReminderPrompts;
/** The handler's clock: null = real time. */
let clock: number | null = null;
const now = () => clock ?? Date.now();
const runner = new ReminderRunner({
  store: s.paymentStore, queue: s.queue, guard: s.guard, dialGuard, originator, optOut, log: silentLog, now,
  call: new ReminderCall({ prompts: () => names, queue: new FakeQueueEntry(), log: silentLog, now }),
});

beforeAll(async () => {
  await s.paymentStore.savePortfolio(portfolioSchema.parse({
    id: 'pf1', allowedPrefixes: ['+86'], offsetsDays: [-3, 0, 3], timeOfDay: '10:00', maxAttempts: 2, retryBackoffMinutes: [30], callerId: '+861000',
  }));
});
afterAll(() => t.cleanup());

let n = 0;
async function newPayment() {
  n++;
  const pf = (await s.paymentStore.getPortfolio('pf1'))!;
  const { payment } = await s.payments.upsert(pf, {
    account: `ACC${n}`, customer: 'Li', phone: `1380013800${n}`, amount: 99, currency: 'CNY', dueDate: '2099-06-15', timezone: 'Asia/Shanghai', status: 'due',
  });
  const stored = (await s.paymentStore.get(payment.id))!;
  return { payment, jobs: stored.jobs };
}
const jobOf = async (paymentId: string, step: number) => (await s.paymentStore.get(paymentId))!.jobs[step];

describe('reminder job handler', () => {
  it('schedules one job per step at the portfolio time in the customer zone', async () => {
    const { payment, jobs } = await newPayment();
    expect(payment.steps.map((x) => new Date(x.fireAt).toISOString())).toEqual(['2099-06-12T02:00:00.000Z', '2099-06-15T02:00:00.000Z', '2099-06-18T02:00:00.000Z']);
    expect(Object.keys(jobs)).toEqual(['0', '1', '2']);
    const delayed = await s.queue.queue.getDelayed();
    expect(delayed.filter((j) => j.data.paymentId === payment.id)).toHaveLength(3);
  });

  it('promise: records the date, counts reached + promised; a second run of the same job does nothing', async () => {
    const { payment, jobs } = await newPayment();
    originator.script.push([{ digits: '2' }, { digits: '20990620' }, { digits: '1' }]);
    const data = { paymentId: payment.id, step: 0, attempt: 1 };
    // The far end's today is 2099-06-12 (step 0 fires 3 days before the due date).
    clock = payment.steps[0].fireAt;
    expect(await runner.run(jobs[0], data)).toBe('promised');
    expect(await runner.run(jobs[0], data)).toBe('already-done');
    const p = (await s.paymentStore.get(payment.id))!.payment;
    expect(p.promise?.date).toBe('2099-06-20');
    expect(p.reached).toBe(true);
    expect(p.steps[0]).toMatchObject({ state: 'done', lastOutcome: 'promised' });
    expect(await s.paymentStore.outcomes(payment.id)).toHaveLength(1);
    expect(originator.channels.at(-1)!.hangups).toBe(1);
    // Step 1 (due day) is inside the promise: skipped without a call.
    const calls = originator.requests.length;
    clock = payment.steps[1].fireAt;
    expect(await runner.run(jobs[1], { paymentId: payment.id, step: 1, attempt: 1 })).toBe('skipped');
    expect(originator.requests.length).toBe(calls);
    clock = null;
  });

  it('no answer: next attempt after the backoff, then the step fails', async () => {
    const { payment, jobs } = await newPayment();
    originator.script.push('no-answer', 'busy');
    const before = Date.now();
    expect(await runner.run(jobs[2], { paymentId: payment.id, step: 2, attempt: 1 })).toBe('no-answer');
    const retryJob = await jobOf(payment.id, 2);
    expect(retryJob).toMatch(/\.s2\.a2\./);
    const job = (await s.queue.queue.getJob(retryJob))!;
    expect(job.opts.delay).toBeGreaterThanOrEqual(30 * 60_000 - (Date.now() - before) - 50);
    // The old job id is stale now.
    expect(await runner.run(`${jobs[2]}x`, { paymentId: payment.id, step: 2, attempt: 1 })).toBe('stale');
    expect(await runner.run(retryJob, { paymentId: payment.id, step: 2, attempt: 2 })).toBe('busy');
    const p = (await s.paymentStore.get(payment.id))!.payment;
    expect(p.steps[2]).toMatchObject({ state: 'failed', attempts: 2 });
    expect((await s.paymentStore.outcomes(payment.id)).map((o) => o.result)).toEqual(['no-answer', 'busy']);
  });

  it('outside the calling window: the same attempt moves to the next allowed time', async () => {
    const { payment, jobs } = await newPayment();
    const next = Date.now() + 5 * 3600_000;
    dialGuard.answers.push({ allowed: false, reason: 'outside-calling-window', nextAllowedAt: next });
    const calls = originator.requests.length;
    expect(await runner.run(jobs[0], { paymentId: payment.id, step: 0, attempt: 1 })).toBe('deferred');
    expect(originator.requests.length).toBe(calls);
    expect(await jobOf(payment.id, 0)).toBe(`rem.${payment.id}.s0.a1.${next}`);
    expect(dialGuard.checks.at(-1)).toMatchObject({ target: { scopeId: 'pf1', timezone: 'Asia/Shanghai' }, consume: true });
  });

  it('3: opt-out goes to the DNC sink and cancels the other steps', async () => {
    const { payment, jobs } = await newPayment();
    originator.script.push([{ digits: '3' }]);
    expect(await runner.run(jobs[0], { paymentId: payment.id, step: 0, attempt: 1 })).toBe('opted-out');
    expect(optOut.calls.at(-1)).toEqual({ phone: payment.phone, scopeId: 'pf1' });
    const p = (await s.paymentStore.get(payment.id))!;
    expect(p.payment.status).toBe('opted-out');
    expect(p.payment.steps.map((x) => x.state)).toEqual(['done', 'cancelled', 'cancelled']);
    expect(await s.queue.queue.getJob(jobs[1])).toBeUndefined();
    expect(await runner.run(jobs[1], { paymentId: payment.id, step: 1, attempt: 1 })).toBe('stale');
  });

  it('paid cancels every pending job at once; a job that fires anyway is stale', async () => {
    const { payment, jobs } = await newPayment();
    await s.payments.markPaid(payment.id, 'api');
    for (const id of Object.values(jobs)) expect(await s.queue.queue.getJob(id)).toBeUndefined();
    expect(await runner.run(jobs[1], { paymentId: payment.id, step: 1, attempt: 1 })).toBe('stale');
    const r = await s.payments.report('pf1');
    expect(r.reminders.paid).toBe(1);
  });

  it('report: reached, promised, opted out, paid after reminder', async () => {
    const first = (await s.payments.store.list('pf1')).payments.find((p) => p.promise)!;
    await s.payments.markPaid(first.id, 'api');
    const r = await s.payments.report('pf1');
    expect(r.reminders).toMatchObject({ calls: 4, reached: 2, promised: 1, optedOut: 1, noAnswer: 2, deferred: 1, paid: 2, paidAfterReminder: 1 });
    expect(r.payments).toMatchObject({ total: 6, paid: 2, optedOut: 1, pending: 3 });
    expect(r.rates.paidAfterReminderRate).toBe(0.5);
  });
});
