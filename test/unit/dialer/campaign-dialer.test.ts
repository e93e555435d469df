import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { testRedis } from '../../support/redis.js';
import { createDialerServices } from '../../../src/dialer/services.js';
import { importLeadsCsv } from '../../../src/leads/csv-import.js';
import { CampaignDialer } from '../../../src/dialer/campaign-dialer.js';
import { FakeCall } from '../../../src/dialer/sim/fake-call.js';
import type { Campaign, CampaignInput } from '../../../src/dialer/campaign.js';
import type { Clock } from '../../../src/dialer/clock.js';
import type { Pacer } from '../../../src/dialer/pacing/pacer.js';
import type { AgentlessRunner } from '../../../src/dialer/ports.js';
import { FakeAgents, NOW, ScriptedOriginator, until } from './fakes.js';

const t = testRedis();
const log = pino({ level: 'silent' });
const s = createDialerServices({ redis: t.redis, keys: t.keys, log });
const DAY = 24 * 3600_000;
afterAll(() => t.cleanup());

const clock: Clock = { now: () => NOW, sleep: async () => undefined, setInterval: () => ({ clear() {} }) };

async function setup(input: Partial<CampaignInput>, csv: string): Promise<Campaign> {
  const c = await s.campaigns.create({ name: 'loop', trunk: 'trunk-a', callerId: '+861012345678', dialMode: 'progressive', allowedPrefixes: ['+86'], ...input });
  const r = await importLeadsCsv(s.leads, { campaignId: c.id, defaultCountry: 'CN', defaultTimezone: 'Asia/Shanghai' }, Readable.from([csv]), { now: NOW - 1000 });
  expect(r.rejected).toEqual([]);
  return c;
}

const forced = (n: number): Pacer => ({ mode: 'predictive', decide: () => ({ dial: n }) });

describe('CampaignDialer with a fake originator and agent pool', () => {
  it('progressive: one call per idle agent, connect with screen pop, disposition refusal -> campaign DNC', async () => {
    const c = await setup({ dialMode: 'progressive' }, 'phone,name,product\n13800000001,Wang,car\n13800000002,Li,home\n13800000003,Zhao,life\n');
    const orig = new ScriptedOriginator(() => 'answered');
    const agents = new FakeAgents(['a1', 'a2']);
    const dialer = new CampaignDialer({ campaign: c, clock, originator: orig, agents, leads: s.leadQueue, log, callStats: s.callStats });
    expect(await dialer.tick()).toBe(2);
    await until(() => agents.connected.length === 2);
    expect(orig.requests).toHaveLength(2);
    expect(orig.requests[0]).toMatchObject({ callerId: '+861012345678', trunk: 'trunk-a', campaignId: c.id });
    expect(orig.requests[0].ringTimeoutMs).toBeGreaterThanOrEqual(15_000);
    expect(agents.connected.map((x) => x.agentId).sort()).toEqual(['a1', 'a2']);
    const pop = agents.connected.find((x) => x.pop.name === 'Wang')!.pop;
    expect(pop).toMatchObject({ fields: { product: 'car' }, attempts: 1 });
    expect(pop.phoneMasked).toMatch(/^\+\*+0001$/);
    // No idle agent left: nothing more is dialed.
    expect(await dialer.tick()).toBe(0);

    const wang = agents.connected.find((x) => x.pop.name === 'Wang')!;
    // Recording policy 'all' with notice (campaign defaults).
    expect((wang.call as FakeCall).played).toEqual(['recording-notice']);
    expect((wang.call as FakeCall).recordings).toEqual([{ campaignId: c.id, agentId: wang.agentId, leadId: wang.pop.leadId, noticePlayed: true }]);
    (wang.call as FakeCall).remoteHangup();
    await until(async () => (await s.leads.get(wang.pop.leadId))?.lastOutcome === 'connected');
    const lead = await s.leads.get(wang.pop.leadId);
    expect(lead).toMatchObject({ attempts: 1, lastOutcome: 'connected', status: 'wrap-up', nextAttemptAt: NOW + 24 * 3600_000 });
    expect((await s.leads.attempts(lead!.id))[0]).toMatchObject({ outcome: 'connected', agentId: wang.agentId, callId: wang.call.callId });

    // The customer refused: disposition with the DNC flag puts the number on the campaign list for 180 days.
    const after = await s.dispositions.apply(c, { leadId: lead!.id, code: 'not-interested', agentId: wang.agentId }, NOW + 60_000);
    expect(after).toMatchObject({ status: 'dnc', ownerAgentId: wang.agentId });
    const d = await s.dnc.check('+8613800000001', c.id, NOW + 60_000);
    expect(d).toMatchObject({ listed: true, entry: { source: 'disposition', expiresAt: NOW + 60_000 + 180 * DAY } });
    // Even if someone re-queues it, the dial-time check refuses it.
    await s.leads.schedule(lead!, NOW);
    const claims = await s.leadQueue.claim({ campaign: c, count: 5, now: NOW + 120_000, holder: 'x' });
    expect(claims.map((x) => x.lead.id)).not.toContain(lead!.id);
    expect((await s.refusals.list(c.id)).some((r) => r.reason === 'dnc-campaign' && r.leadId === lead!.id)).toBe(true);
    // stop() waits for calls in progress: the other customer hangs up.
    for (const x of agents.connected) (x.call as FakeCall).remoteHangup();
    await dialer.stop();
  });

  it('predictive: answered with no free agent -> safe-harbor message, hang-up, abandon counted, 72 h cooldown', async () => {
    const c = await setup({ dialMode: 'predictive' }, 'phone\n13900000001\n');
    const orig = new ScriptedOriginator(() => 'answered');
    const agents = new FakeAgents(['a1']);
    agents.state.set('a1', 'talking');
    const dialer = new CampaignDialer({
      campaign: c, clock, originator: orig, agents, leads: s.leadQueue, log, pacer: forced(1), callStats: s.callStats,
      prompt: (name) => `/prompts/zh/${name}.wav`,
    });
    expect(await dialer.tick()).toBe(1);
    await until(async () => (await s.leads.findByPhone(c.id, '+8613900000001'))?.lastOutcome === 'abandoned');
    const call = orig.calls[0];
    expect(call.played).toEqual(['/prompts/zh/safe-harbor.wav']);
    expect(call.ended && call.endedBy).toBe('local');
    expect(dialer.stats.abandoned).toBe(1);
    expect(dialer.stats.abandon.totals(NOW)).toMatchObject({ answered: 1, abandoned: 1 });
    const lead = (await s.leads.findByPhone(c.id, '+8613900000001'))!;
    expect(lead).toMatchObject({ lastOutcome: 'abandoned', noCallBefore: NOW + 72 * 3600_000 });
    const totals = await s.callStats.totals(c.id, NOW - 3600_000, NOW + 3600_000);
    expect(totals).toMatchObject({ dialed: 1, answered: 1, abandoned: 1, abandonRate: 1 });
  });

  it('owner-first: an owned lead goes to its owner when the owner is free; failures reschedule', async () => {
    const c = await setup({ dialMode: 'predictive' }, 'phone,owner\n13600000001,a2\n13600000002,\n');
    const orig = new ScriptedOriginator((to) => (to.endsWith('1') ? 'answered' : 'busy'));
    const agents = new FakeAgents(['a1', 'a2']);
    const dialer = new CampaignDialer({ campaign: c, clock, originator: orig, agents, leads: s.leadQueue, log, pacer: forced(2) });
    await dialer.tick();
    await until(async () => agents.connected.length === 1 && (await s.leads.findByPhone(c.id, '+8613600000002'))?.lastOutcome === 'busy');
    expect(agents.connected).toHaveLength(1);
    expect(agents.connected[0].agentId).toBe('a2');
    const busy = (await s.leads.findByPhone(c.id, '+8613600000002'))!;
    expect(busy).toMatchObject({ lastOutcome: 'busy', status: 'queued', nextAttemptAt: NOW + 10 * 60_000 });
  });

  it('toll-fraud guard: a number outside the allowed prefixes is never dialed and the refusal is logged', async () => {
    const c = await setup({ dialMode: 'predictive', allowedPrefixes: ['+8610'] }, 'phone\n+8821612345678\n13700000009\n01065529988\n');
    const orig = new ScriptedOriginator(() => 'no-answer');
    const dialer = new CampaignDialer({ campaign: c, clock, originator: orig, agents: new FakeAgents(['a1']), leads: s.leadQueue, log, pacer: forced(5) });
    await dialer.tick();
    await until(async () => (await s.leads.findByPhone(c.id, '+861065529988'))?.lastOutcome === 'no-answer');
    expect(orig.requests.map((r) => r.to)).toEqual(['+861065529988']);
    const reasons = (await s.refusals.list(c.id)).map((r) => r.reason);
    expect(reasons.filter((r) => r === 'destination-not-allowed')).toHaveLength(2);
    expect((await s.leads.findByPhone(c.id, '+8613700000009'))?.status).toBe('exhausted');
  });

  it('outside the calling window nothing is dialed; the lead waits for the next window', async () => {
    const c = await setup({ dialMode: 'predictive' }, 'phone\n13500000001\n');
    const night: Clock = { ...clock, now: () => Date.parse('2026-11-24T14:30:00Z') }; // 22:30 Shanghai
    const orig = new ScriptedOriginator(() => 'answered');
    const dialer = new CampaignDialer({ campaign: c, clock: night, originator: orig, agents: new FakeAgents(['a1']), leads: s.leadQueue, log, pacer: forced(1) });
    expect(await dialer.tick()).toBe(0);
    expect(orig.requests).toHaveLength(0);
    expect((await s.leads.findByPhone(c.id, '+8613500000001'))?.nextAttemptAt).toBe(Date.parse('2026-11-25T01:00:00Z'));
  });

  it('a call answered after the window closed is counted as outside hours in the report figures', async () => {
    const c = await setup({ dialMode: 'predictive', ringTimeoutMs: 15_000 }, 'phone\n13500000002\n');
    let now = Date.parse('2026-11-24T12:59:30Z'); // 20:59:30 Shanghai: 15 s of ringing still ends before 21:00
    const moving: Clock = { ...clock, now: () => now };
    const orig = new ScriptedOriginator(() => 'answered');
    const slow = { originate: async (req: Parameters<ScriptedOriginator['originate']>[0]) => {
      now = Date.parse('2026-11-24T13:00:20Z'); // the trunk was slow: answered at 21:00:20
      return orig.originate(req);
    } };
    const agents = new FakeAgents(['a1']);
    const dialer = new CampaignDialer({ campaign: c, clock: moving, originator: slow, agents, leads: s.leadQueue, log, pacer: forced(1), callStats: s.callStats });
    expect(await dialer.tick()).toBe(1);
    await until(() => agents.connected.length === 1);
    const totals = await s.callStats.totals(c.id, now - 3600_000, now + 3600_000);
    expect(totals).toMatchObject({ dialed: 1, answered: 1, outsideHours: 1 });
    (agents.connected[0].call as FakeCall).remoteHangup();
    await dialer.stop();
  });

  it('agentless: the IVR flow runs on the answered call; the opt-out key puts the number on the DNC list', async () => {
    const c = await setup({ dialMode: 'agentless', agentlessFlowId: 'payment-reminder', agentlessLines: 2 }, 'phone\n13400000001\n13400000002\n');
    const orig = new ScriptedOriginator(() => 'answered');
    const ran: string[] = [];
    const runner: AgentlessRunner = {
      async run(_call, req) {
        ran.push(req.flowId);
        return req.pop.phoneMasked.endsWith('0001') ? { completed: true, optOut: true, result: 'opt-out' } : { completed: true, result: 'heard' };
      },
    };
    const dialer = new CampaignDialer({ campaign: c, clock, originator: orig, agents: new FakeAgents([]), agentless: runner, leads: s.leadQueue, log });
    expect(await dialer.tick()).toBe(2);
    await until(async () => (await s.leads.findByPhone(c.id, '+8613400000001'))?.status === 'dnc' && (await s.leads.findByPhone(c.id, '+8613400000002'))?.status === 'done');
    expect(ran).toEqual(['payment-reminder', 'payment-reminder']);
    expect(orig.calls.every((x) => x.ended)).toBe(true);
    expect(await s.dnc.check('+8613400000001', c.id, NOW)).toMatchObject({ listed: true, entry: { source: 'ivr-opt-out' } });
    expect((await s.leads.findByPhone(c.id, '+8613400000002'))?.status).toBe('done');
  });
});
