import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { testRedis } from '../../support/redis.js';
import { buildApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import type { AppContext } from '../../../src/context.js';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { UserStore } from '../../../src/auth/users.js';
import { TokenSigner } from '../../../src/auth/tokens.js';
import { createDialerServices, dialerDomains } from '../../../src/dialer/services.js';

const t = testRedis();
let app: FastifyInstance;
let ctx: AppContext;
const s = createDialerServices({ redis: t.redis, keys: t.keys, log: pino({ level: 'silent' }) });
const tokens = new TokenSigner('test-secret-0123456789', 3600);
const admin = { authorization: `Bearer ${tokens.sign({ sub: 'admin', role: 'admin' })}` };
const sup = { authorization: `Bearer ${tokens.sign({ sub: 'sue', role: 'supervisor' })}` };
const agentA = { authorization: `Bearer ${tokens.sign({ sub: 'amy', role: 'agent', agentId: 'a1' })}` };
const agentB = { authorization: `Bearer ${tokens.sign({ sub: 'bob', role: 'agent', agentId: 'a2' })}` };
const campaignBody = { name: 'Autumn renewals', trunk: 'trunk-a', callerId: '+861012345678', dialMode: 'predictive', allowedPrefixes: ['+86'] };

beforeAll(async () => {
  ctx = {
    config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }), log: pino({ level: 'silent' }), redis: t.redis, keys: t.keys,
    audit: new AuditLog(t.redis, t.keys), users: new UserStore(t.redis, t.keys), tokens, readiness: [],
  };
  app = await buildApp(ctx, dialerDomains(s, { audit: ctx.audit }));
});
afterAll(async () => {
  await app?.close();
  await t.cleanup();
});

describe('campaign routes', () => {
  let id: string;
  it('creates with defaults (09:00-21:00, 3 % abandon, 15 s+ ring) and validates input', async () => {
    const r = await app.inject({ method: 'POST', url: '/campaigns', headers: sup, payload: campaignBody });
    expect(r.statusCode).toBe(201);
    const c = r.json();
    id = c.id;
    expect(c).toMatchObject({ abandonRateTarget: 0.03, ringTimeoutMs: 25000, status: 'draft', callingWindows: { weekdays: [{ start: '09:00', end: '21:00' }] } });
    const bad = await app.inject({ method: 'POST', url: '/campaigns', headers: sup, payload: { ...campaignBody, ringTimeoutMs: 5000, allowedPrefixes: [] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('bad_request');
    const agentless = await app.inject({ method: 'POST', url: '/campaigns', headers: sup, payload: { ...campaignBody, dialMode: 'agentless' } });
    expect(agentless.statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/campaigns', headers: agentA, payload: campaignBody })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/campaigns', payload: campaignBody })).statusCode).toBe(401);
  });

  it('patches, lists, 404s and deletes', async () => {
    const p = await app.inject({ method: 'PATCH', url: `/campaigns/${id}`, headers: admin, payload: { abandonRateTarget: 0.02, abandonWindowMs: 30 * 24 * 3600_000 } });
    expect(p.statusCode).toBe(200);
    expect(p.json()).toMatchObject({ abandonRateTarget: 0.02, name: 'Autumn renewals' });
    expect((await app.inject({ method: 'PATCH', url: `/campaigns/${id}`, headers: admin, payload: { dialMode: 'turbo' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/campaigns', headers: agentA })).json()).toHaveLength(1);
    expect((await app.inject({ method: 'GET', url: '/campaigns/nope', headers: admin })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: `/campaigns/${id}/start`, headers: admin })).statusCode).toBe(503); // no dialer on this instance
    const tmp = (await app.inject({ method: 'POST', url: '/campaigns', headers: admin, payload: campaignBody })).json();
    expect((await app.inject({ method: 'DELETE', url: `/campaigns/${tmp.id}`, headers: admin })).statusCode).toBe(204);
  });
});

describe('lead routes', () => {
  let cid: string;
  beforeAll(async () => {
    cid = (await app.inject({ method: 'POST', url: '/campaigns', headers: admin, payload: campaignBody })).json().id;
  });

  it('imports a text/csv body as a stream and reports bad lines', async () => {
    const body = 'phone,name,owner,policy\n13800000001,Wang,a1,P-1\nbad,Nope,,\n13800000002,Li,a2,P-2\n13800000001,Wang dup,,P-1b\n13800000003,Zhao,,P-3\n';
    const r = await app.inject({ method: 'POST', url: `/campaigns/${cid}/leads/import`, headers: { ...sup, 'content-type': 'text/csv' }, payload: body });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ imported: 3, merged: 1, rejectedTotal: 1, rejected: [{ line: 3, reason: 'unparseable phone "bad"' }] });
    const wrongType = await app.inject({ method: 'POST', url: `/campaigns/${cid}/leads/import`, headers: { ...sup, 'content-type': 'application/json' }, payload: {} });
    expect(wrongType.statusCode).toBe(415);
    expect((await app.inject({ method: 'POST', url: `/campaigns/${cid}/leads/import`, headers: { ...agentA, 'content-type': 'text/csv' }, payload: body })).statusCode).toBe(403);
  });

  it('agents see only their own leads, with masked numbers; supervisors see all', async () => {
    const a = (await app.inject({ method: 'GET', url: `/campaigns/${cid}/leads`, headers: agentA })).json();
    expect(a.total).toBe(1);
    expect(a.leads[0]).toMatchObject({ name: 'Wang dup', ownerAgentId: 'a1', fields: { policy: 'P-1b' } });
    expect(a.leads[0].phone).not.toContain('13800000001');
    expect(a.leads[0].phone).toMatch(/0001$/);
    const all = (await app.inject({ method: 'GET', url: `/campaigns/${cid}/leads`, headers: sup })).json();
    expect(all.total).toBe(3);
    expect(all.leads.map((l: { phone: string }) => l.phone)).toContain('+8613800000001');
    const liId = all.leads.find((l: { name: string }) => l.name === 'Li').id;
    expect((await app.inject({ method: 'GET', url: `/leads/${liId}`, headers: agentA })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/leads/${liId}`, headers: agentB })).json().phone).toMatch(/^\+\*+0002$/);
    expect((await app.inject({ method: 'PATCH', url: `/leads/${liId}`, headers: agentB, payload: { ownerAgentId: 'a1' } })).statusCode).toBe(403);
    const p = await app.inject({ method: 'PATCH', url: `/leads/${liId}`, headers: agentB, payload: { interest: 'strong-need', fields: { note: 'x' } } });
    expect(p.json()).toMatchObject({ interest: 'strong-need', fields: { policy: 'P-2', note: 'x' } });
  });

  it('disposition with the refusal flag adds the number to the campaign DNC list', async () => {
    const all = (await app.inject({ method: 'GET', url: `/campaigns/${cid}/leads`, headers: sup })).json();
    const zhao = all.leads.find((l: { name: string }) => l.name === 'Zhao');
    const r = await app.inject({ method: 'POST', url: `/leads/${zhao.id}/disposition`, headers: agentB, payload: { code: 'not-interested', note: 'said stop' } });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ status: 'dnc', ownerAgentId: 'a2', lastDisposition: 'not-interested' });
    const chk = await app.inject({ method: 'GET', url: `/dnc/check/13800000003?campaignId=${cid}`, headers: sup });
    expect(chk.json()).toMatchObject({ listed: true, entry: { source: 'disposition' } });
    expect((await app.inject({ method: 'POST', url: `/leads/${zhao.id}/disposition`, headers: sup, payload: { code: 'nope' } })).statusCode).toBe(400);
    const attempts = (await app.inject({ method: 'GET', url: `/leads/${zhao.id}/attempts`, headers: sup })).json();
    expect(attempts).toEqual([expect.objectContaining({ outcome: 'disposition', disposition: 'not-interested', agentId: 'a2', note: 'said stop' })]);
    expect((await app.inject({ method: 'GET', url: '/owners/+8613800000003', headers: sup })).json()).toEqual({ ownerAgentId: 'a2' });
  });

  it('CSV export is for supervisors and is audit-logged', async () => {
    expect((await app.inject({ method: 'GET', url: `/campaigns/${cid}/leads/export`, headers: agentA })).statusCode).toBe(403);
    const r = await app.inject({ method: 'GET', url: `/campaigns/${cid}/leads/export`, headers: sup });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/csv/);
    const lines = r.body.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^id,phone,name/);
    expect(r.body).toContain('+8613800000002');
    const audit = await ctx.audit.list({ action: 'leads.export' });
    expect(audit[0]).toMatchObject({ actor: 'sue', target: cid });
  });
});

describe('DNC and compliance routes', () => {
  it('adds, lists, checks and removes global and campaign entries (audit-logged)', async () => {
    const add = await app.inject({ method: 'POST', url: '/dnc', headers: sup, payload: { phone: '139 0000 0001', reason: 'complaint', days: 30 } });
    expect(add.statusCode).toBe(201);
    expect(add.json()).toMatchObject({ phone: '+8613900000001', scope: 'global', source: 'api' });
    expect((await app.inject({ method: 'POST', url: '/dnc', headers: sup, payload: { phone: 'zzz' } })).statusCode).toBe(400);
    const list = (await app.inject({ method: 'GET', url: '/dnc', headers: admin })).json();
    expect(list.entries.map((e: { phone: string }) => e.phone)).toContain('+8613900000001');
    expect((await app.inject({ method: 'GET', url: '/dnc/check/+8613900000001', headers: admin })).json().listed).toBe(true);
    expect((await app.inject({ method: 'DELETE', url: '/dnc/+8613900000001', headers: admin })).statusCode).toBe(204);
    expect((await app.inject({ method: 'DELETE', url: '/dnc/+8613900000001', headers: admin })).statusCode).toBe(404);
    expect((await ctx.audit.list({ action: 'dnc.add' })).length).toBe(1);
    expect((await app.inject({ method: 'GET', url: '/dnc', headers: agentA })).statusCode).toBe(403);
  });

  it('compliance report: abandon rate per window, calls outside hours, DNC hits blocked', async () => {
    const c = (await app.inject({ method: 'POST', url: '/campaigns', headers: admin, payload: campaignBody })).json();
    const now = Date.now();
    await s.callStats.incr(c.id, 'dialed', now, 40);
    await s.callStats.incr(c.id, 'answered', now, 10);
    await s.callStats.incr(c.id, 'abandoned', now, 1);
    await s.refusals.record({ at: now, campaignId: c.id, leadId: 'L1', phone: '+8613900000009', reason: 'dnc-global' });
    await s.refusals.record({ at: now, campaignId: c.id, leadId: 'L2', phone: '+8613900000008', reason: 'outside-calling-window' });
    const r = await app.inject({ method: 'GET', url: `/campaigns/${c.id}/compliance-report?windowHours=24`, headers: sup });
    expect(r.statusCode).toBe(200);
    const rep = r.json();
    expect(rep).toMatchObject({ callsOutsideHours: 0, dncHitsBlocked: 1, rolling: { answered: 10, abandoned: 1, abandonRate: 0.1 }, compliant: false });
    expect(rep.windows).toHaveLength(7);
    expect(rep.windows.at(-1)).toMatchObject({ dialed: 40, abandonRate: 0.1 });
    const refusals = (await app.inject({ method: 'GET', url: `/campaigns/${c.id}/refusals`, headers: sup })).json();
    expect(refusals.map((x: { reason: string }) => x.reason).sort()).toEqual(['dnc-global', 'outside-calling-window']);
  });
});
