import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../../support/app.js';
import { REDIS_URL } from '../../support/redis.js';
import { bullConnection, createSchedulerServices, type SchedulerServices } from '../../../src/scheduler/workers.js';
import { schedulerDomains } from '../../../src/scheduler/domains.js';

let t: TestApp;
let s: SchedulerServices;

beforeAll(async () => {
  t = await testApp((ctx) => {
    s = createSchedulerServices({ redis: ctx.redis, keys: ctx.keys, connection: bullConnection(REDIS_URL), prefix: `tbull-${randomUUID().slice(0, 8)}` });
    return schedulerDomains(s, { audit: ctx.audit, tokens: ctx.tokens });
  });
});
afterAll(async () => {
  await s.queue.queue.obliterate({ force: true }).catch(() => undefined);
  await s.close();
  await t.close();
});

const inHours = (h: number) => new Date(Date.now() + h * 3600_000).toISOString();

describe('callback routes', () => {
  it('an agent creates a callback for themself; the Idempotency-Key makes a retry return the same one', async () => {
    const headers = { ...t.auth('agent', 'a1'), 'idempotency-key': 'k-1' };
    const payload = { phone: '+8613800138000', dueAt: inHours(5), ownerOnly: true, note: 'after lunch' };
    const r1 = await t.app.inject({ method: 'POST', url: '/callbacks', headers, payload });
    expect(r1.statusCode).toBe(201);
    const cb = r1.json();
    expect(cb).toMatchObject({ ownerAgentId: 'a1', ownerOnly: true, source: 'agent', phone: '+*********8000', timezone: 'Asia/Shanghai', status: 'scheduled' });
    const r2 = await t.app.inject({ method: 'POST', url: '/callbacks', headers, payload });
    expect(r2.statusCode).toBe(200);
    expect(r2.json().id).toBe(cb.id);
    const other = await t.app.inject({ method: 'POST', url: '/callbacks', headers: t.auth('agent', 'a1'), payload: { ...payload, ownerAgentId: 'a2' } });
    expect(other.statusCode).toBe(403);
    const bad = await t.app.inject({ method: 'POST', url: '/callbacks', headers: t.auth('agent', 'a1'), payload: { ...payload, dueAt: 'tomorrow' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues.length).toBeGreaterThan(0);
  });

  it('agents see only their own callbacks (masked); supervisors see all; reschedule and cancel', async () => {
    const sup = t.auth('supervisor');
    const created = await t.app.inject({ method: 'POST', url: '/callbacks', headers: sup, payload: { phone: '+8613800138111', dueAt: inHours(3), ownerAgentId: 'a2' } });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    expect((await t.app.inject({ method: 'GET', url: `/callbacks/${id}`, headers: t.auth('agent', 'a1') })).statusCode).toBe(404);
    const a2 = await t.app.inject({ method: 'GET', url: '/callbacks', headers: t.auth('agent', 'a2') });
    expect(a2.json().callbacks.map((c: { id: string; phone: string }) => [c.id, c.phone])).toEqual([[id, '+*********8111']]);
    expect((await t.app.inject({ method: 'GET', url: '/callbacks?agentId=a1', headers: t.auth('agent', 'a2') })).statusCode).toBe(403);
    const all = await t.app.inject({ method: 'GET', url: '/callbacks', headers: sup });
    expect(all.json().callbacks.map((c: { phone: string }) => c.phone).sort()).toEqual(['+8613800138000', '+8613800138111']);
    expect((await t.ctx.audit.list({ action: 'callbacks.list' })).length).toBeGreaterThan(0);

    const due = inHours(8);
    const moved = await t.app.inject({ method: 'PATCH', url: `/callbacks/${id}`, headers: t.auth('agent', 'a2'), payload: { dueAt: due } });
    expect(moved.statusCode).toBe(200);
    expect(moved.json().dueAt).toBe(Date.parse(due));
    const jobs = (await s.queue.queue.getDelayed()).filter((j) => j.data.callbackId === id);
    expect(jobs.filter((j) => j.name === 'callback-due').map((j) => j.id)).toEqual([s.callbackStore.jobIdsFor(id, 2, Date.parse(due)).due]);
    const gone = await t.app.inject({ method: 'DELETE', url: `/callbacks/${id}`, headers: sup });
    expect(gone.json().status).toBe('cancelled');
    expect((await s.queue.queue.getDelayed()).filter((j) => j.data.callbackId === id)).toEqual([]);
    expect((await t.app.inject({ method: 'PATCH', url: `/callbacks/${id}`, headers: sup, payload: { dueAt: due } })).statusCode).toBe(409);
  });

  it('follow-up plans: steps become callbacks; closing the lead cancels them', async () => {
    const agent = t.auth('agent', 'a3');
    const r = await t.app.inject({ method: 'POST', url: '/follow-up-plans', headers: agent, payload: { leadId: 'L9', phone: '13800138222', steps: [{ afterDays: 2 }, { afterDays: 7, note: 'one week' }] } });
    expect(r.statusCode).toBe(201);
    const plan = r.json();
    expect(plan).toMatchObject({ leadId: 'L9', ownerAgentId: 'a3', status: 'active', phone: '+*********8222' });
    expect(plan.steps[1].dueAt - plan.steps[0].dueAt).toBe(5 * 24 * 3600_000);
    const list = await t.app.inject({ method: 'GET', url: '/follow-up-plans?leadId=L9', headers: agent });
    expect(list.json().plans).toHaveLength(1);
    const closed = await t.app.inject({ method: 'POST', url: '/follow-up-plans/close-lead', headers: agent, payload: { leadId: 'L9', outcome: 'closed' } });
    expect(closed.json().cancelledCallbacks).toHaveLength(2);
    const after = await t.app.inject({ method: 'GET', url: '/callbacks?leadId=L9', headers: t.auth('supervisor') });
    expect(after.json().callbacks.map((c: { status: string }) => c.status)).toEqual(['cancelled', 'cancelled']);
  });
});

describe('payment routes', () => {
  const portfolio = { offsetsDays: [-3, 0, 3, 7], timeOfDay: '10:00', callerId: '+861012345678', allowedPrefixes: ['+86'], queueId: 'collections' };
  const csv = [
    'account,customer,phone,amount,currency,due_date,timezone,status',
    'ACC-1,Li Lei,13800138001,1200.50,CNY,2099-03-10,Asia/Shanghai,',
    'ACC-2,Han Meimei,13800138002,99,CNY,2099-03-11,Asia/Shanghai,',
    'ACC-3,Bad Row,13800138003,abc,CNY,2099-03-11,Asia/Shanghai,',
    'ACC-4,Bad Zone,13800138004,5,CNY,2099-03-11,Mars/Base,',
  ].join('\n');

  it('portfolio: admin only', async () => {
    expect((await t.app.inject({ method: 'PUT', url: '/payments/portfolios/pf', headers: t.auth('supervisor'), payload: portfolio })).statusCode).toBe(403);
    const r = await t.app.inject({ method: 'PUT', url: '/payments/portfolios/pf', headers: t.auth('admin'), payload: portfolio });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ id: 'pf', maxAttempts: 3, lang: 'en' });
    expect((await t.app.inject({ method: 'PUT', url: '/payments/portfolios/pf2', headers: t.auth('admin'), payload: { offsetsDays: [0] } })).statusCode).toBe(400);
  });

  it('CSV import: good rows scheduled, bad rows reported by line; a re-import changes nothing', async () => {
    const sup = { ...t.auth('supervisor'), 'content-type': 'text/csv' };
    const r = await t.app.inject({ method: 'POST', url: '/payments/import?portfolio=pf', headers: sup, payload: csv });
    expect(r.statusCode).toBe(200);
    const sum = r.json();
    expect(sum).toMatchObject({ created: 2, updated: 0, unchanged: 0, paid: 0 });
    expect(sum.errors.map((e: { line: number }) => e.line)).toEqual([4, 5]);
    expect(sum.errors[1].message).toMatch(/time zone/);
    const jobsBefore = (await s.queue.queue.getDelayed()).filter((j) => j.name === 'reminder').length;
    expect(jobsBefore).toBe(8);
    const again = await t.app.inject({ method: 'POST', url: '/payments/import?portfolio=pf', headers: sup, payload: csv });
    expect(again.json()).toMatchObject({ created: 0, unchanged: 2 });
    expect((await s.queue.queue.getDelayed()).filter((j) => j.name === 'reminder')).toHaveLength(8);
    expect((await t.app.inject({ method: 'POST', url: '/payments/import?portfolio=nope', headers: sup, payload: csv })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'POST', url: '/payments/import?portfolio=pf', headers: { ...t.auth('agent', 'a1'), 'content-type': 'text/csv' }, payload: csv })).statusCode).toBe(403);
  });

  it('paid cancels every pending job at once; an import with paid status does too; report', async () => {
    const sup = t.auth('supervisor');
    const list = await t.app.inject({ method: 'GET', url: '/payments?portfolio=pf', headers: sup });
    const [p1, p2] = list.json().payments;
    expect(list.json().total).toBe(2);
    const paid = await t.app.inject({ method: 'POST', url: `/payments/${p1.id}/paid`, headers: sup });
    expect(paid.json()).toMatchObject({ status: 'paid' });
    expect(paid.json().steps.map((x: { state: string }) => x.state)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled']);
    expect((await s.queue.queue.getDelayed()).filter((j) => j.data.paymentId === p1.id)).toEqual([]);
    const paidCsv = 'account,customer,phone,amount,currency,due_date,timezone,status\nACC-2,Han Meimei,13800138002,99,CNY,2099-03-11,Asia/Shanghai,paid\n';
    const imp = await t.app.inject({ method: 'POST', url: '/payments/import?portfolio=pf', headers: { ...sup, 'content-type': 'text/csv' }, payload: paidCsv });
    expect(imp.json()).toMatchObject({ paid: 1 });
    expect((await s.queue.queue.getDelayed()).filter((j) => j.name === 'reminder')).toEqual([]);
    const one = await t.app.inject({ method: 'GET', url: `/payments/${p2.id}`, headers: sup });
    expect(one.json()).toMatchObject({ status: 'paid', account: 'ACC-2' });
    const rep = await t.app.inject({ method: 'GET', url: '/payments/report?portfolio=pf', headers: sup });
    expect(rep.statusCode).toBe(200);
    expect(rep.json()).toMatchObject({ portfolioId: 'pf', payments: { total: 2, paid: 2, pending: 0 }, reminders: { paid: 2, paidAfterReminder: 0, calls: 0 } });
  });

  it('single payment by API', async () => {
    const r = await t.app.inject({
      method: 'POST', url: '/payments', headers: t.auth('admin'),
      payload: { portfolioId: 'pf', account: 'ACC-9', customer: 'Zhao', phone: '+8613800138009', amount: 10, currency: 'USD', dueDate: '2099-05-01', timezone: 'Asia/Shanghai' },
    });
    expect(r.statusCode).toBe(201);
    expect(r.json().steps).toHaveLength(4);
  });
});

describe('queue dashboard', () => {
  it('admin only, read-only, token carried by a cookie', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/admin/queues' })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/admin/queues', headers: t.auth('supervisor') })).statusCode).toBe(403);
    const token = t.auth('admin').authorization.slice(7);
    const page = await t.app.inject({ method: 'GET', url: `/admin/queues?token=${token}` });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/html/);
    const cookie = String(page.headers['set-cookie']).split(';')[0];
    const asset = `/admin/queues/${page.body.match(/src="([^"]+\.js)"/)![1]}`;
    expect((await t.app.inject({ method: 'GET', url: asset, headers: { cookie } })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: asset })).statusCode).toBe(401);
    const api = await t.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: { cookie } });
    expect(api.statusCode).toBe(200);
    const body = api.json();
    expect(body.queues[0]).toMatchObject({ name: 'scheduler', readOnlyMode: true });
    expect((await t.app.inject({ method: 'PUT', url: '/admin/queues/api/queues/scheduler/clean/delayed', headers: { cookie } })).statusCode).toBe(405);
  });
});
