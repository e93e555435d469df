import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { testRedis } from '../../support/redis.js';
import { buildApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { UserStore } from '../../../src/auth/users.js';
import { TokenSigner } from '../../../src/auth/tokens.js';
import { createDialerManager, createDialerServices, dialerDomains } from '../../../src/dialer/services.js';
import { importLeadsCsv } from '../../../src/leads/csv-import.js';
import type { Clock } from '../../../src/dialer/clock.js';
import type { DialerEvent } from '../../../src/dialer/campaign-dialer.js';
import { FakeCall } from '../../../src/dialer/sim/fake-call.js';
import { FakeAgents, NOW, ScriptedOriginator, until } from './fakes.js';

const t = testRedis();
const log = pino({ level: 'silent' });
const s = createDialerServices({ redis: t.redis, keys: t.keys, log });
const clock: Clock = { now: () => NOW, sleep: async () => undefined, setInterval: () => ({ clear() {} }) };
const orig = new ScriptedOriginator(() => 'answered');
const agents = new FakeAgents(['a1', 'a2']);
const events: DialerEvent[] = [];
const dialers = createDialerManager(s, { originator: orig, agents, log, clock, instanceId: 'test-1', onEvent: (e) => events.push(e) });
const tokens = new TokenSigner('test-secret-0123456789', 3600);
const a1 = { authorization: `Bearer ${tokens.sign({ sub: 'amy', role: 'agent', agentId: 'a1' })}` };
const a2 = { authorization: `Bearer ${tokens.sign({ sub: 'bob', role: 'agent', agentId: 'a2' })}` };
const sup = { authorization: `Bearer ${tokens.sign({ sub: 'sue', role: 'supervisor' })}` };
let app: FastifyInstance;
let cid: string;

beforeAll(async () => {
  const audit = new AuditLog(t.redis, t.keys);
  app = await buildApp({
    config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }), log, redis: t.redis, keys: t.keys, audit,
    users: new UserStore(t.redis, t.keys), tokens, readiness: [],
  }, dialerDomains(s, { audit, dialers }));
  const c = await s.campaigns.create({ name: 'preview', trunk: 't', callerId: '+861012345678', dialMode: 'preview', allowedPrefixes: ['+86'] });
  cid = c.id;
  // Two leads: one owned by a2, one unowned.
  await importLeadsCsv(s.leads, { campaignId: cid, defaultCountry: 'CN', defaultTimezone: 'Asia/Shanghai' },
    Readable.from(['phone,name,owner\n13800000011,Owned by a2,a2\n13800000012,Free,\n']), { now: NOW - 1000 });
});
afterAll(async () => {
  await dialers.stopAll();
  await app?.close();
  await t.cleanup();
});

describe('preview mode through the API and DialerManager', () => {
  it('an agent previews only their own or unowned leads, masked; a previewed lead is locked to that agent', async () => {
    const r1 = await app.inject({ method: 'POST', url: `/campaigns/${cid}/preview/next`, headers: a1 });
    expect(r1.statusCode).toBe(200);
    const l1 = r1.json().lead;
    expect(l1).toMatchObject({ name: 'Free' });
    expect(l1.phone).toMatch(/^\+\*+0012$/);
    // a1 gets nothing else: the other lead belongs to a2.
    expect((await app.inject({ method: 'POST', url: `/campaigns/${cid}/preview/next`, headers: a1 })).json()).toEqual({ lead: null });
    const l2 = (await app.inject({ method: 'POST', url: `/campaigns/${cid}/preview/next`, headers: a2 })).json().lead;
    expect(l2).toMatchObject({ name: 'Owned by a2' });
    // a2 cannot dial a1's preview.
    expect((await app.inject({ method: 'POST', url: `/campaigns/${cid}/preview/${l1.id}/dial`, headers: a2 })).statusCode).toBe(404);
    // a2 skips: the lead goes back and can be previewed again.
    expect((await app.inject({ method: 'POST', url: `/campaigns/${cid}/preview/${l2.id}/skip`, headers: a2 })).statusCode).toBe(202);
    expect((await app.inject({ method: 'POST', url: `/campaigns/${cid}/preview/next`, headers: a2 })).json().lead.id).toBe(l2.id);
    // Skips do not use up the number's daily attempts (3 per day): only the current preview holds a slot.
    for (let i = 0; i < 3; i++) {
      await app.inject({ method: 'POST', url: `/campaigns/${cid}/preview/${l2.id}/skip`, headers: a2 });
      expect((await app.inject({ method: 'POST', url: `/campaigns/${cid}/preview/next`, headers: a2 })).json().lead?.id).toBe(l2.id);
    }

    // a1 clicks dial: the call is placed and connected to a1.
    expect((await app.inject({ method: 'POST', url: `/campaigns/${cid}/preview/${l1.id}/dial`, headers: a1 })).statusCode).toBe(202);
    await until(() => agents.connected.length === 1);
    expect(orig.requests.map((r) => r.to)).toEqual(['+8613800000012']);
    expect(agents.connected.map((c) => c.agentId)).toEqual(['a1']);
    expect(events.map((e) => e.type)).toEqual(['dial', 'answered', 'connected']);
    const status = (await app.inject({ method: 'GET', url: `/campaigns/${cid}/dialer`, headers: sup })).json();
    expect(status).toMatchObject({ running: true, dialed: 1, answered: 1, abandoned: 0 });
    (agents.connected[0].call as FakeCall).remoteHangup();
    await until(async () => (await s.leads.get(l1.id))?.lastOutcome === 'connected');
    expect((await s.leads.get(l1.id))).toMatchObject({ lastOutcome: 'connected', attempts: 1 });
  });

  it('start and pause a campaign; the rolling abandon window is seeded from stored hourly counters', async () => {
    const c = await s.campaigns.create({ name: 'pred', trunk: 't', callerId: '+861012345678', dialMode: 'predictive', allowedPrefixes: ['+86'] });
    await s.callStats.incr(c.id, 'answered', NOW - 2 * 3600_000, 200);
    await s.callStats.incr(c.id, 'abandoned', NOW - 2 * 3600_000, 4);
    const started = await app.inject({ method: 'POST', url: `/campaigns/${c.id}/start`, headers: sup });
    expect(started.json()).toMatchObject({ running: true, rollingAbandonRate: 0.02 });
    expect((await s.campaigns.get(c.id))?.status).toBe('running');
    const paused = await app.inject({ method: 'POST', url: `/campaigns/${c.id}/pause`, headers: sup });
    expect(paused.statusCode).toBe(200);
    expect((await s.campaigns.get(c.id))?.status).toBe('paused');
    expect((await app.inject({ method: 'POST', url: `/campaigns/${c.id}/preview/next`, headers: a1 })).statusCode).toBe(409);
  });
});
