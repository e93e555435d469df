import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { AgentStateService } from '../../../src/agents/agent-state.js';
import { PauseCodeStore } from '../../../src/agents/pause-codes.js';
import { createDialerServices } from '../../../src/dialer/services.js';
import type { Campaign } from '../../../src/dialer/campaign.js';
import { importLeadsCsv } from '../../../src/leads/csv-import.js';
import { AgentStore } from '../../../src/agents/agent-store.js';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { createKpi } from '../../../src/kpi/kpi-services.js';
import { dayRangeSchema } from '../../../src/kpi/kpi-range.js';
import { kpiTargetInputSchema, periodEnd } from '../../../src/kpi/kpi-targets.js';
import { testRedis } from '../../support/redis.js';

/** Real Redis, real agent state machine, real dispositions: the KPI figures must come out exactly. */
const r = testRedis();
let clock = 0;
const at = (iso: string) => (clock = Date.parse(iso));
const agentState = new AgentStateService({
  redis: r.redis, keys: r.keys, bus: { publish: async () => undefined }, pauseCodes: new PauseCodeStore(r.redis, r.keys), now: () => clock,
});
const dialer = createDialerServices({ redis: r.redis, keys: r.keys, log: pino({ level: 'silent' }) });
// the production wiring: counters hooked onto dispositions and agent transitions
const { counters, targets, reports } = createKpi({
  redis: r.redis, keys: r.keys, agentState, agents: new AgentStore(r.redis, r.keys), callStats: dialer.callStats,
  dispositions: dialer.dispositions, audit: new AuditLog(r.redis, r.keys),
});
let campaign: Campaign;
let phoneSeq = 0;

async function lead(): Promise<string> {
  const phone = `+86137${String(++phoneSeq).padStart(8, '0')}`;
  await importLeadsCsv(dialer.leads, { campaignId: campaign.id, defaultCountry: 'CN', defaultTimezone: 'Asia/Shanghai' }, Readable.from([`phone\n${phone}\n`]));
  return (await dialer.leads.list(campaign.id)).leads.find((x) => x.phone === phone)!.id;
}
async function dispose(code: string, agentId: string, iso: string, callId?: string): Promise<void> {
  await dialer.dispositions.apply(campaign, { leadId: await lead(), code, agentId, callId: callId ?? `d-${phoneSeq}` }, Date.parse(iso));
}

beforeAll(async () => {
  campaign = await dialer.campaigns.create({ name: 'kpi', trunk: 't', callerId: '+861012345678', dialMode: 'preview', allowedPrefixes: ['+86'] });
  // Day 1 (2026-03-10): one answered inbound call with 30 s hold, one unanswered offer, a 10 min break.
  at('2026-03-10T09:00:00Z'); await agentState.request('A1', 'available');
  at('2026-03-10T09:01:00Z'); await agentState.transition('A1', 'reserved', { callId: 'c1' });
  at('2026-03-10T09:01:10Z'); await agentState.transition('A1', 'on-call', { callId: 'c1' });
  at('2026-03-10T09:02:00Z'); await agentState.holdChanged('A1', true);
  at('2026-03-10T09:02:30Z'); await agentState.holdChanged('A1', false);
  at('2026-03-10T09:05:10Z'); await agentState.transition('A1', 'wrap-up', { callId: 'c1' });
  at('2026-03-10T09:05:40Z'); await agentState.request('A1', 'available');
  at('2026-03-10T09:06:40Z'); await agentState.transition('A1', 'reserved', { callId: 'c2' });
  at('2026-03-10T09:06:50Z'); await agentState.transition('A1', 'available', { callId: 'c2', unanswered: 'incr' });
  at('2026-03-10T09:07:00Z'); await agentState.request('A1', 'paused', 'break');
  at('2026-03-10T09:17:00Z'); await agentState.request('A1', 'available');
  at('2026-03-10T09:20:00Z'); await agentState.request('A1', 'logged-out');
  await dispose('sale', 'A1', '2026-03-10T10:00:00Z', 'c1');
  await dispose('not-interested', 'A1', '2026-03-10T10:05:00Z');
  await dispose('answering-machine', 'A1', '2026-03-10T10:10:00Z');
  await dispose('sale', 'A2', '2026-03-10T10:20:00Z');
  expect(await counters.recordSurvey({ callId: 'c1', agentId: 'A1', score: 5 }, Date.parse('2026-03-10T09:06:00Z'))).toBe('recorded');
  expect(await counters.recordSurvey({ callId: 'c9', agentId: 'A1', score: 4 }, Date.parse('2026-03-10T11:00:00Z'))).toBe('recorded');
  // Day 2 (2026-03-11): one more answered call (2 min talk, 10 s wrap), a sale, a survey score of 3.
  at('2026-03-11T10:00:00Z'); await agentState.request('A1', 'available');
  at('2026-03-11T10:00:05Z'); await agentState.transition('A1', 'reserved', { callId: 'c3' });
  at('2026-03-11T10:00:06Z'); await agentState.transition('A1', 'on-call', { callId: 'c3' });
  at('2026-03-11T10:02:06Z'); await agentState.transition('A1', 'wrap-up', { callId: 'c3' });
  at('2026-03-11T10:02:16Z'); await agentState.request('A1', 'logged-out');
  await dispose('sale', 'A1', '2026-03-11T10:03:00Z', 'c3');
  // a second disposition on the same call must not book its talk time twice
  await dispose('no-decision', 'A1', '2026-03-11T10:04:00Z', 'c3');
  await counters.recordSurvey({ callId: 'c3', agentId: 'A1', score: 3 }, Date.parse('2026-03-11T10:03:00Z'));
  // Campaign call stats as the dialer counts them.
  const d1 = Date.parse('2026-03-10T10:00:00Z');
  await dialer.callStats.incr(campaign.id, 'dialed', d1, 10);
  await dialer.callStats.incr(campaign.id, 'answered', d1, 6);
  await dialer.callStats.incr(campaign.id, 'connected', d1, 5);
  await dialer.callStats.incr(campaign.id, 'abandoned', d1, 1);
  await dialer.callStats.incr(campaign.id, 'dialed', Date.parse('2026-04-01T10:00:00Z'), 7); // outside the range
});
afterAll(() => r.cleanup());

describe('agent KPIs from the real state machine, dispositions and surveys', () => {
  it('computes one day exactly', async () => {
    const [d1] = await reports.agentDays('A1', { from: '2026-03-10', to: '2026-03-10' });
    expect(d1).toEqual({
      from: '2026-03-10', to: '2026-03-10', offered: 2, answered: 1,
      dials: 3, connects: 2, connectRate: 2 / 3,
      talkMs: 240_000, holdMs: 30_000, wrapMs: 30_000, pauseMs: 600_000, avgHandleMs: 270_000,
      conversions: 1, conversionRate: 0.5,
      satisfaction: { count: 2, sum: 9, average: 4.5 },
    });
  });

  it('aggregates a range and keeps the per-day rows', async () => {
    const rep = await reports.agentReport('A1', { from: '2026-03-01', to: '2026-03-31' });
    expect(rep.days).toHaveLength(31);
    expect(rep.days[10]).toMatchObject({ from: '2026-03-11', answered: 1, talkMs: 120_000, wrapMs: 10_000, conversions: 1 });
    expect(rep.total).toEqual({
      from: '2026-03-01', to: '2026-03-31', offered: 3, answered: 2,
      dials: 5, connects: 4, connectRate: 0.8,
      talkMs: 360_000, holdMs: 30_000, wrapMs: 40_000, pauseMs: 600_000, avgHandleMs: 200_000,
      conversions: 2, conversionRate: 0.5,
      satisfaction: { count: 3, sum: 12, average: 4 },
    });
    expect(rep.targets).toEqual([]);
  });

  it('a survey counts once per call', async () => {
    expect(await counters.recordSurvey({ callId: 'c1', agentId: 'A1', score: 1 })).toBe('duplicate');
    const [d1] = await reports.agentDays('A1', { from: '2026-03-10', to: '2026-03-10' });
    expect(d1.satisfaction).toEqual({ count: 2, sum: 9, average: 4.5 });
  });

  it('another agent only gets their own figures; an agent with no activity reads zeros', async () => {
    const a2 = await reports.agentTotal('A2', { from: '2026-03-10', to: '2026-03-11' });
    expect(a2).toMatchObject({ dials: 1, connects: 1, conversions: 1, answered: 0, talkMs: 0, avgHandleMs: 0, satisfaction: { count: 0, sum: 0, average: null } });
    const none = await reports.agentTotal('nobody', { from: '2026-03-10', to: '2026-03-10' });
    expect(none).toMatchObject({ dials: 0, connectRate: 0, conversionRate: 0, avgHandleMs: 0 });
  });

  it('measures each overlapping target over its whole period: actual vs target and % attained', async () => {
    await targets.put('A1', kpiTargetInputSchema.parse({ period: 'month', periodStart: '2026-03-01', talkMinutes: 12, conversions: 4, connectRate: 0.5, satisfaction: 5 }));
    await targets.put('A1', kpiTargetInputSchema.parse({ period: 'quarter', periodStart: '2026-01-01', conversions: 8 }));
    await targets.put('A1', kpiTargetInputSchema.parse({ period: 'month', periodStart: '2026-05-01', conversions: 1 }));
    const rep = await reports.agentReport('A1', { from: '2026-03-10', to: '2026-03-10' });
    expect(rep.total.conversions).toBe(1);
    expect(rep.targets).toEqual([
      { period: 'quarter', periodStart: '2026-01-01', periodEnd: '2026-03-31', conversions: { target: 8, actual: 2, percent: 25 } },
      {
        period: 'month', periodStart: '2026-03-01', periodEnd: '2026-03-31',
        talkMinutes: { target: 12, actual: 6, percent: 50 },
        conversions: { target: 4, actual: 2, percent: 50 },
        connectRate: { target: 0.5, actual: 0.8, percent: 160 },
        satisfaction: { target: 5, actual: 4, percent: 80 },
      },
    ]);
  });
});

describe('campaign KPIs', () => {
  it('combines the call stats of the range with the sales and talk time of the calls dispositioned in the campaign', async () => {
    expect(await reports.campaignReport(campaign.id, { from: '2026-03-01', to: '2026-03-31' })).toEqual({
      campaignId: campaign.id, from: '2026-03-01', to: '2026-03-31',
      dialed: 10, answered: 6, connected: 5, abandoned: 1, connectRate: 0.6, abandonRate: 1 / 6, conversions: 3, talkMs: 360_000, conversionRate: 3 / 5,
    });
  });
});

describe('ranges and target periods', () => {
  it('rejects to < from, ranges over 366 days and non-days', () => {
    expect(dayRangeSchema.safeParse({ from: '2026-03-02', to: '2026-03-01' }).success).toBe(false);
    expect(dayRangeSchema.safeParse({ from: '2024-01-01', to: '2025-01-01' }).success).toBe(false); // 367 days
    expect(dayRangeSchema.safeParse({ from: '2024-01-01', to: '2024-12-31' }).success).toBe(true); // 366 days
    expect(dayRangeSchema.safeParse({ from: '2026-02-30', to: '2026-03-01' }).success).toBe(false);
  });

  it('periods end on the right day and must start on a period boundary', () => {
    expect(periodEnd('month', '2024-02-01')).toBe('2024-02-29');
    expect(periodEnd('quarter', '2026-10-01')).toBe('2026-12-31');
    expect(periodEnd('year', '2026-01-01')).toBe('2026-12-31');
    expect(kpiTargetInputSchema.safeParse({ period: 'quarter', periodStart: '2026-02-01', conversions: 1 }).success).toBe(false);
    expect(kpiTargetInputSchema.safeParse({ period: 'month', periodStart: '2026-02-01' }).success).toBe(false);
  });
});
