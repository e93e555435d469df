import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { CampaignStore } from '../../../src/dialer/campaign-store.js';
import { campaignAgentPool, campaignStaff } from '../../../src/wiring/acd-agent-pool.js';
import type { AgentPool, ScreenPop } from '../../../src/dialer/ports.js';
import { acdCluster } from '../../support/acd.js';
import { FakeCall } from '../../support/acd-fakes.js';
import { FakeBus } from '../../support/scheduler-fakes.js';

/** The dialer's AgentPool over the real ACD agent state machine in Redis. */
let cluster: Awaited<ReturnType<typeof acdCluster>>;
let campaigns: CampaignStore;
let pool: AgentPool;
let campaignId: string;
const bus = new FakeBus();
const pop: ScreenPop = { campaignId: '', leadId: 'L1', phoneMasked: '*******8000', fields: {}, attempts: 1, ownerAgentId: 'd2' };

beforeAll(async () => {
  cluster = await acdCluster(1);
  campaigns = new CampaignStore(cluster.redis, cluster.keys);
  await cluster.queue({ id: 'outq', name: 'Outbound' });
  await cluster.agent('d1', { queues: ['outq'] });
  await cluster.agent('d2', { queues: [] });
  await cluster.agent('d3', { queues: ['outq'], register: false });
  const c = await campaigns.create({ name: 'C', trunk: 't', callerId: '+861000000000', dialMode: 'progressive', allowedPrefixes: ['+86'], agentIds: ['d2'], queueId: 'outq' } as Parameters<CampaignStore['create']>[0]);
  campaignId = c.id;
  pop.campaignId = campaignId;
  const a = cluster.a;
  pool = campaignAgentPool({ campaigns, agents: a.agents, agentState: a.agentState, directory: a.directory, bus, log: pino({ level: 'silent' }), autoWrapMs: 20 });
});
afterAll(() => cluster.close());

describe('campaignAgentPool', () => {
  it("staff = the campaign's agentIds plus its queue's members", async () => {
    const staff = await campaignStaff(campaigns, cluster.a.agents)(campaignId);
    expect(staff.sort()).toEqual(['d1', 'd2', 'd3']);
    expect(await campaignStaff(campaigns, cluster.a.agents)('missing')).toEqual([]);
    // d3's phone is not registered: not counted by pacing, never reserved
    expect((await campaignStaff(campaigns, cluster.a.agents, cluster.a.directory)(campaignId)).sort()).toEqual(['d1', 'd2']);
    const snap = await pool.snapshot(campaignId);
    expect(snap.map((s) => [s.agentId, s.state]).sort()).toEqual([['d1', 'idle'], ['d2', 'idle']]);
  });

  it('reserves the preferred (owner) agent first, atomically: concurrent reservations never share an agent', async () => {
    const r = await pool.reserve({ campaignId, preferredAgentId: 'd2', waitMs: 0 });
    expect(r?.agentId).toBe('d2');
    expect((await cluster.a.agentState.get('d2')).state).toBe('reserved');
    // only d2 would do, and d2 is taken
    expect(await pool.reserve({ campaignId, preferredAgentId: 'd2', onlyPreferred: true, waitMs: 50 })).toBeNull();
    const many = await Promise.all([1, 2, 3, 4].map(() => pool.reserve({ campaignId, waitMs: 0 })));
    const got = many.filter((x) => x !== null).map((x) => x!.agentId).sort();
    expect(got).toEqual(['d1']);
    for (const x of [r, ...many]) if (x) await pool.release(x);
    expect((await pool.snapshot(campaignId)).every((s) => s.state === 'idle')).toBe(true);
  });

  it("connect pushes the screen pop on the agent's topic, bridges to the registered phone; hangup -> wrap-up -> available", async () => {
    const r = (await pool.reserve({ campaignId, preferredAgentId: 'd1', waitMs: 0 }))!;
    const call = new FakeCall({ remoteNumber: '+8613800138000' });
    expect(await pool.connect(r, call, pop)).toEqual({ ok: true });
    expect(bus.events.find((e) => e.topic === 'agent:d1')?.event).toMatchObject({ type: 'screen-pop', leadId: 'L1', phoneMasked: '*******8000' });
    expect(call.bridgedTo?.uri).toBe('sip:d1@127.0.0.1:5099');
    expect((await cluster.a.agentState.get('d1')).state).toBe('on-call');
    call.callerHangup();
    await expect.poll(async () => (await cluster.a.agentState.get('d1')).state, { timeout: 2000 }).toBe('available');
  });

  it('connect fails without a registered phone, and when the agent leg is not answered', async () => {
    const r3 = (await pool.reserve({ campaignId, preferredAgentId: 'd3', onlyPreferred: true, waitMs: 0 }))!;
    expect(await pool.connect(r3, new FakeCall(), pop)).toEqual({ ok: false, reason: 'agent d3 has no registered contact' });
    await pool.release(r3);
    const r1 = (await pool.reserve({ campaignId, preferredAgentId: 'd1', onlyPreferred: true, waitMs: 0 }))!;
    const busy = new FakeCall({ script: () => ({ outcome: 'busy' }) });
    expect(await pool.connect(r1, busy, pop)).toEqual({ ok: false, reason: 'agent leg busy' });
    await pool.release(r1);
    expect((await cluster.a.agentState.get('d1')).state).toBe('available');
  });
});
