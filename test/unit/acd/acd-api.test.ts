import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/events/bus.js';
import { createAcd, type Acd } from '../../../src/queue/acd.js';
import { namedPrompts } from '../../../src/queue/ports.js';
import { FakeCall } from '../../support/acd-fakes.js';
import { testApp, type TestApp } from '../../support/app.js';
import { REDIS_URL } from '../../support/redis.js';
import { until } from '../../support/acd.js';

describe('agent and queue API routes', () => {
  let t: TestApp;
  let acd!: Acd;
  const pub = new Redis(REDIS_URL);
  const sub = new Redis(REDIS_URL);
  beforeAll(async () => {
    t = await testApp((ctx) => {
      acd = createAcd({ redis: ctx.redis, keys: ctx.keys, bus: new EventBus(pub, sub, ctx.keys), log: ctx.log, audit: ctx.audit, prompts: namedPrompts('/p') });
      return acd.domains;
    });
    await acd.start();
  });
  afterAll(async () => {
    await acd.stop();
    await t.close();
    pub.disconnect();
    sub.disconnect();
  });

  const agentBody = { id: 'a1', name: 'Ann', sipUsername: 'ann', sipPassword: 'ann-secret-pw', skills: { en: 8 }, queues: ['sales'] };

  it('admin creates agents; others may not; bad input is 400; SIP username clash is 409', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/agents', headers: t.auth('admin'), payload: agentBody });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ id: 'a1', name: 'Ann', sipUsername: 'ann', skills: { en: 8 }, queues: ['sales'] });
    expect((await t.app.inject({ method: 'POST', url: '/agents', headers: t.auth('supervisor'), payload: agentBody })).statusCode).toBe(403);
    const bad = await t.app.inject({ method: 'POST', url: '/agents', headers: t.auth('admin'), payload: { ...agentBody, id: 'a9', skills: { en: 11 } } });
    expect(bad.statusCode).toBe(400);
    const noSecret = await t.app.inject({ method: 'POST', url: '/agents', headers: t.auth('admin'), payload: { ...agentBody, id: 'a9', sipPassword: undefined } });
    expect(noSecret.statusCode).toBe(400);
    const clash = await t.app.inject({ method: 'POST', url: '/agents', headers: t.auth('admin'), payload: { ...agentBody, id: 'a2' } });
    expect(clash.statusCode).toBe(409);
    await t.app.inject({ method: 'POST', url: '/agents', headers: t.auth('admin'), payload: { ...agentBody, id: 'a2', sipUsername: 'bob', name: 'Bob' } });
    const list = await t.app.inject({ url: '/agents', headers: t.auth('supervisor') });
    expect(list.json().map((a: { id: string }) => a.id)).toEqual(['a1', 'a2']);
    expect(JSON.stringify(list.json())).not.toContain('ann-secret-pw');
    expect((await t.ctx.audit.list({ action: 'agent.create' })).length).toBe(2);
  });

  it('agents change their own state only; supervisors anyone; pause codes are checked; 409 on a bad transition', async () => {
    const self = await t.app.inject({ method: 'PUT', url: '/agents/a1/state', headers: t.auth('agent', 'a1'), payload: { state: 'available' } });
    expect(self.statusCode).toBe(200);
    expect(self.json()).toMatchObject({ prev: 'logged-out', state: 'available' });
    const other = await t.app.inject({ method: 'PUT', url: '/agents/a2/state', headers: t.auth('agent', 'a1'), payload: { state: 'available' } });
    expect(other.statusCode).toBe(403);
    expect((await t.app.inject({ url: '/agents/a2', headers: t.auth('agent', 'a1') })).statusCode).toBe(403);
    const badCode = await t.app.inject({ method: 'PUT', url: '/agents/a1/state', headers: t.auth('agent', 'a1'), payload: { state: 'paused', reason: 'nap' } });
    expect(badCode.statusCode).toBe(400);
    const pause = await t.app.inject({ method: 'PUT', url: '/agents/a1/state', headers: t.auth('supervisor'), payload: { state: 'paused', reason: 'lunch' } });
    expect(pause.json()).toMatchObject({ state: 'paused', reason: 'lunch' });
    await acd.agentState.transition('a2', 'on-call');
    const busy = await t.app.inject({ method: 'PUT', url: '/agents/a2/state', headers: t.auth('supervisor'), payload: { state: 'logged-out' } });
    expect(busy.statusCode).toBe(409);
    const st = await t.app.inject({ url: '/agents/a1/state', headers: t.auth('agent', 'a1') });
    expect(st.json()).toMatchObject({ state: 'paused', reason: 'lunch' });
    const ev = await t.app.inject({ url: '/agents/a1/events', headers: t.auth('agent', 'a1') });
    expect(ev.json().map((e: { state: string }) => e.state)).toEqual(['paused', 'available']);
    const times = await t.app.inject({ url: '/agents/a1/times', headers: t.auth('agent', 'a1') });
    expect(times.json()).toMatchObject({ calls: 0 });
    expect(times.json().idleMs).toBeGreaterThanOrEqual(0);
    await acd.directory.setRegistration('a1', 'sip:ann@127.0.0.1:5090', 120);
    const detail = await t.app.inject({ url: '/agents/a1', headers: t.auth('agent', 'a1') });
    expect(detail.json().contacts[0].uri).toBe('sip:ann@127.0.0.1:5090');
  });

  it('pause codes: everybody reads, admin replaces', async () => {
    const codes = await t.app.inject({ url: '/pause-codes', headers: t.auth('agent', 'a1') });
    expect(codes.json().map((c: { code: string }) => c.code)).toContain('lunch');
    expect((await t.app.inject({ method: 'PUT', url: '/pause-codes', headers: t.auth('supervisor'), payload: [] })).statusCode).toBe(403);
    const put = await t.app.inject({ method: 'PUT', url: '/pause-codes', headers: t.auth('admin'), payload: [{ code: 'coaching', label: 'Coaching' }] });
    expect(put.json().map((c: { code: string }) => c.code)).toEqual(['coaching', 'auto-unanswered', 'not-registered']);
  });

  it('queue CRUD (admin), stats and queue_log (supervisor), filtered by queue, agent, event and time', async () => {
    const create = await t.app.inject({ method: 'POST', url: '/queues', headers: t.auth('admin'), payload: { id: 'sales', name: 'Sales', strategy: 'skills-based', requiredSkills: { en: 5 }, wrapUpSec: 0 } });
    expect(create.statusCode).toBe(201);
    expect(create.json()).toMatchObject({ id: 'sales', ringTimeoutSec: 20, serviceLevelSec: 20 });
    expect((await t.app.inject({ method: 'POST', url: '/queues', headers: t.auth('supervisor'), payload: { id: 'x', name: 'X' } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/queues', headers: t.auth('admin'), payload: { id: 'x', name: 'X', strategy: 'smartest' } })).statusCode).toBe(400);
    const put = await t.app.inject({ method: 'PUT', url: '/queues/sales', headers: t.auth('admin'), payload: { id: 'sales', name: 'Sales team', strategy: 'skills-based', requiredSkills: { en: 5 }, wrapUpSec: 0 } });
    expect(put.json().name).toBe('Sales team');
    expect((await t.app.inject({ url: '/queues/nope', headers: t.auth('supervisor') })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/queues', headers: t.auth('agent', 'a1') })).statusCode).toBe(403);

    const t0 = new Date().toISOString();
    await acd.agentState.request('a1', 'available');
    await acd.directory.setRegistration('a1', 'sip:ann@127.0.0.1:5090', 120);
    const call = new FakeCall({ remoteNumber: '+15550009999' });
    const p = acd.queueService.enqueue(call, { queueId: 'sales' });
    await until(() => !!call.bridgedTo, 5000, 'answered');
    call.agentHangup();
    await p;

    const stats = await t.app.inject({ url: '/queues/sales/stats', headers: t.auth('supervisor') });
    expect(stats.statusCode).toBe(200);
    expect(stats.json()).toMatchObject({ queueId: 'sales', entered: 1, answered: 1, serviceLevelPct: 100, abandonPct: 0 });
    const logRes = await t.app.inject({ url: `/queue-log?queue=sales&from=${encodeURIComponent(t0)}`, headers: t.auth('supervisor') });
    expect(logRes.json().map((r: { event: string }) => r.event)).toEqual(['COMPLETEAGENT', 'CONNECT', 'ENTERQUEUE']);
    const connects = await t.app.inject({ url: '/queue-log?agent=a1&event=CONNECT', headers: t.auth('admin') });
    expect(connects.json()).toHaveLength(1);
    expect(connects.json()[0]).toMatchObject({ queuename: 'sales', agent: 'a1', callid: call.callId });
    const future = await t.app.inject({ url: `/queue-log?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, headers: t.auth('admin') });
    expect(future.json()).toEqual([]);
    const pauses = await t.app.inject({ url: '/queue-log?agent=a1&event=PAUSE', headers: t.auth('admin') });
    expect(pauses.json()[0]).toMatchObject({ queuename: 'NONE', data1: 'lunch' });
    expect((await t.app.inject({ url: '/queue-log', headers: t.auth('agent', 'a1') })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/queue-log?event=NOPE', headers: t.auth('admin') })).statusCode).toBe(400);
    expect((await t.ctx.audit.list({ action: 'queue-log.read' })).length).toBeGreaterThanOrEqual(3);

    const del = await t.app.inject({ method: 'DELETE', url: '/queues/sales', headers: t.auth('admin') });
    expect(del.statusCode).toBe(204);
  });
});
