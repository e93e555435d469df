import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL } from '../../support/redis.js';
import { FakeDialGuard, FakeOptOut, FakeOriginator, FakeQueueEntry, silentLog, testScheduler, waitFor } from '../../support/scheduler-fakes.js';
import { bullConnection, startSchedulerWorkers, type RunningScheduler } from '../../../src/scheduler/workers.js';
import { ReminderCall, type ReminderPrompts } from '../../../src/scheduler/reminder-call.js';
import { portfolioSchema } from '../../../src/scheduler/payment-schema.js';

const t = testScheduler();
const { s } = t;
const originator = new FakeOriginator();
const optOut = new FakeOptOut();
const sweeps: Date[] = [];
const names = new Proxy({}, { get: (_t, k: string) => () => [k] }) as ReminderPrompts;
let run: RunningScheduler;

beforeAll(async () => {
  run = await startSchedulerWorkers({
    services: s, connection: bullConnection(REDIS_URL), log: silentLog, dialGuard: new FakeDialGuard(),
    originator, optOut, reminderCall: new ReminderCall({ prompts: () => names, queue: new FakeQueueEntry(), log: silentLog }),
    retention: { sweep: async (now) => { sweeps.push(now); return { deleted: 0, failed: 0 }; }, everyMs: 400 },
  });
});
afterAll(async () => {
  await run?.stop();
  await t.cleanup();
});

describe('payment reminders through the worker', () => {
  it('a reminder due now calls, records the promise, and the report counts it; paid later counts as paid after reminder', async () => {
    const now = new Date();
    const hhmm = now.toISOString().slice(11, 16);
    await s.paymentStore.savePortfolio(portfolioSchema.parse({ id: 'pfw', allowedPrefixes: ['+86'], offsetsDays: [0], timeOfDay: hhmm, callerId: '+861000' }));
    const promise = new Date(now.getTime() + 3 * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
    originator.script.push([{ digits: '2' }, { digits: promise }, { digits: '1' }]);
    const sum = await s.payments.importCsv('pfw', `account,customer,phone,amount,currency,due_date,timezone\nA1,Li,13800138000,88.8,CNY,${now.toISOString().slice(0, 10)},UTC\n`);
    expect(sum.created).toBe(1);
    const { payments } = await s.paymentStore.list('pfw');
    const id = payments[0].id;
    const p = await waitFor(async () => (await s.paymentStore.get(id))?.payment.promise ? (await s.paymentStore.get(id))!.payment : null, 10_000, 'promise');
    expect(p.promise!.date).toBe(`${promise.slice(0, 4)}-${promise.slice(4, 6)}-${promise.slice(6, 8)}`);
    expect(originator.requests[0]).toMatchObject({ to: '+8613800138000', callerId: '+861000', headers: { 'X-Payment-Id': id } });
    await s.payments.markPaid(id, 'api');
    const rep = await s.payments.report('pfw');
    expect(rep.reminders).toMatchObject({ calls: 1, reached: 1, promised: 1, paid: 1, paidAfterReminder: 1 });
    expect(rep.rates).toMatchObject({ reachRate: 1, promiseRate: 1, paidAfterReminderRate: 1 });
  });

  it('the recording retention sweep runs as a repeatable job', async () => {
    await waitFor(async () => sweeps.length >= 2, 8000, 'two retention sweeps');
    const schedulers = await s.queue.queue.getJobSchedulers();
    expect(schedulers.map((x) => x.key)).toContain('recording-retention');
  });
});
