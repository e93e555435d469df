import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStateService } from '../../../src/agents/agent-state.js';
import { AgentStore } from '../../../src/agents/agent-store.js';
import { PauseCodeStore } from '../../../src/agents/pause-codes.js';
import { CallStatsStore } from '../../../src/compliance/call-stats.js';
import { createKpi } from '../../../src/kpi/kpi-services.js';
import { testApp, type TestApp } from '../../support/app.js';

/** The KPI routes on a real app and Redis: roles, validation, surveys and targets. */
let t: TestApp;
let clock = Date.parse('2026-03-10T09:00:00Z');
const noHooks = { onApplied: () => () => undefined };

beforeAll(async () => {
  let agentState!: AgentStateService;
  let agents!: AgentStore;
  t = await testApp((ctx) => {
    agentState = new AgentStateService({
      redis: ctx.redis, keys: ctx.keys, bus: { publish: async () => undefined }, pauseCodes: new PauseCodeStore(ctx.redis, ctx.keys), now: () => clock,
    });
    agents = new AgentStore(ctx.redis, ctx.keys);
    const kpi = createKpi({ redis: ctx.redis, keys: ctx.keys, agentState, agents, callStats: new CallStatsStore(ctx.redis, ctx.keys), dispositions: noHooks, audit: ctx.audit });
    return [kpi.domain];
  });
  for (const id of ['A1', 'A2']) await agents.upsert({ id, name: id, sipUsername: id.toLowerCase(), sipPassword: 'secret-123', skills: {}, queues: [] });
  // A1 answers one call: 90 s talk on 2026-03-10
  await agentState.request('A1', 'available');
  clock += 1000; await agentState.transition('A1', 'reserved', { callId: 'c1' });
  clock += 1000; await agentState.transition('A1', 'on-call', { callId: 'c1' });
  clock += 90_000; await agentState.transition('A1', 'wrap-up', { callId: 'c1' });
});
afterAll(() => t.close());

const range = '?from=2026-03-01&to=2026-03-31';

describe('GET /kpi/agents', () => {
  it('supervisors see every agent (audit-logged), agents only themselves', async () => {
    const sup = await t.app.inject({ url: `/kpi/agents${range}`, headers: t.auth('supervisor') });
    expect(sup.statusCode).toBe(200);
    const rows = sup.json().agents as { agentId: string; answered: number; talkMs: number }[];
    expect(rows.map((a) => a.agentId)).toEqual(['A1', 'A2']);
    expect(rows[0]).toMatchObject({ answered: 1, talkMs: 90_000, avgHandleMs: 90_000 });
    expect((await t.ctx.audit.list({ action: 'kpi.agents' })).length).toBe(1);
    const agent = await t.app.inject({ url: `/kpi/agents${range}`, headers: t.auth('agent', 'A2') });
    expect(agent.json().agents.map((a: { agentId: string }) => a.agentId)).toEqual(['A2']);
    expect((await t.app.inject({ url: `/kpi/agents${range}` })).statusCode).toBe(401);
  });

  it('400 on reversed, too long or malformed ranges', async () => {
    for (const q of ['?from=2026-03-02&to=2026-03-01', '?from=2025-01-01&to=2026-01-02', '?from=2026-3-1&to=2026-03-02', '?from=2026-03-01']) {
      const res = await t.app.inject({ url: `/kpi/agents${q}`, headers: t.auth('admin') });
      expect(res.statusCode, q).toBe(400);
      expect(res.json().error).toBe('bad_request');
    }
  });
});

describe('GET /kpi/agents/:id and targets', () => {
  it('an agent may read their own report but not a colleague\'s', async () => {
    const own = await t.app.inject({ url: `/kpi/agents/A1${range}`, headers: t.auth('agent', 'A1') });
    expect(own.statusCode).toBe(200);
    expect(own.json().total).toMatchObject({ answered: 1, offered: 1, talkMs: 90_000 });
    expect(own.json().days).toHaveLength(31);
    expect((await t.app.inject({ url: `/kpi/agents/A2${range}`, headers: t.auth('agent', 'A1') })).statusCode).toBe(403);
  });

  it('supervisors set targets (agents may not); the report shows attainment', async () => {
    const body = { period: 'month', periodStart: '2026-03-01', talkMinutes: 3, satisfaction: 4 };
    expect((await t.app.inject({ method: 'PUT', url: '/kpi/targets/A1', headers: t.auth('agent', 'A1'), payload: body })).statusCode).toBe(403);
    const bad = await t.app.inject({ method: 'PUT', url: '/kpi/targets/A1', headers: t.auth('supervisor'), payload: { ...body, periodStart: '2026-03-02' } });
    expect(bad.statusCode).toBe(400);
    const put = await t.app.inject({ method: 'PUT', url: '/kpi/targets/A1', headers: t.auth('supervisor'), payload: body });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ agentId: 'A1', periodEnd: '2026-03-31' });
    const rep = await t.app.inject({ url: '/kpi/agents/A1?from=2026-03-10&to=2026-03-10', headers: t.auth('agent', 'A1') });
    expect(rep.json().targets).toEqual([{
      period: 'month', periodStart: '2026-03-01', periodEnd: '2026-03-31',
      talkMinutes: { target: 3, actual: 1.5, percent: 50 }, satisfaction: { target: 4, actual: 0, percent: 0 },
    }]);
    const list = await t.app.inject({ url: '/kpi/targets/A1', headers: t.auth('agent', 'A1') });
    expect(list.json().targets).toHaveLength(1);
  });
});

describe('POST /kpi/surveys', () => {
  it('records a score once per call; agents cannot score themselves; scores are 1-5', async () => {
    const payload = { callId: 'c1', agentId: 'A1', score: 4 };
    expect((await t.app.inject({ method: 'POST', url: '/kpi/surveys', headers: t.auth('agent', 'A1'), payload })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/kpi/surveys', headers: t.auth('supervisor'), payload: { ...payload, score: 6 } })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'POST', url: '/kpi/surveys', headers: t.auth('supervisor'), payload })).statusCode).toBe(201);
    expect((await t.app.inject({ method: 'POST', url: '/kpi/surveys', headers: t.auth('supervisor'), payload: { ...payload, score: 1 } })).statusCode).toBe(409);
    const today = new Date().toISOString().slice(0, 10);
    const rep = await t.app.inject({ url: `/kpi/agents/A1?from=${today}&to=${today}`, headers: t.auth('admin') });
    expect(rep.json().total.satisfaction).toEqual({ count: 1, sum: 4, average: 4 });
  });
});

describe('GET /kpi/campaigns/:id', () => {
  it('supervisors only', async () => {
    expect((await t.app.inject({ url: `/kpi/campaigns/c-1${range}`, headers: t.auth('agent', 'A1') })).statusCode).toBe(403);
    const res = await t.app.inject({ url: `/kpi/campaigns/c-1${range}`, headers: t.auth('supervisor') });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ campaignId: 'c-1', dialed: 0, connectRate: 0, conversions: 0 });
  });
});
