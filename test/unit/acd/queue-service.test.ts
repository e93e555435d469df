import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BusEvent } from '../../../src/events/bus.js';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { leadCustomers } from '../../../src/queue/lead-customers.js';
import { FakeCall, agentOf } from '../../support/acd-fakes.js';
import { acdCluster, sleep, until } from '../../support/acd.js';

type Cluster = Awaited<ReturnType<typeof acdCluster>>;

describe('QueueService.enqueue with fake call channels', () => {
  let c: Cluster;
  let events: { topic: string; ev: BusEvent }[];
  beforeEach(async () => {
    c = await acdCluster(1);
    events = [];
    await c.a.bus.onEvent((topic, ev) => events.push({ topic, ev }));
  });
  afterEach(async () => c.close());

  const log = (q?: string) => c.a.queueLog.query({ ...(q ? { queue: q } : {}), limit: 1000 }).then((rows) => rows.reverse());

  it('connects a caller to an available agent, then wrap-up, with queue_log rows and screen-pop events', async () => {
    await c.queue({ id: 'sales', name: 'Sales', wrapUpSec: 0.2 });
    await c.agent('a1', { queues: ['sales'] });
    const call = new FakeCall({ remoteNumber: '+15551234567' });
    const done = c.a.service.enqueue(call, { queueId: 'sales', vars: { lang: 'en' }, digits: '12' });
    await until(() => !!call.bridgedTo, 5000, 'bridge');
    expect(call.bridgedTo?.uri).toBe('sip:a1@127.0.0.1:5099');
    expect(call.bridgedTo?.headers?.['X-Call-Id']).toBe(call.callId);
    expect(call.holds[0]).toBe('/prompts/moh.wav');
    await until(async () => (await c.a.agentState.get('a1')).state === 'on-call', 5000, 'on-call');
    call.agentHangup();
    const outcome = await done;
    expect(outcome).toMatchObject({ outcome: 'completed', agentId: 'a1', by: 'agent' });
    expect((await c.a.agentState.get('a1')).state).toBe('wrap-up');
    await until(async () => (await c.a.agentState.get('a1')).state === 'available', 5000, 'wrap-up end');

    const rows = await log('sales');
    expect(rows.map((r) => r.event)).toEqual(['ENTERQUEUE', 'CONNECT', 'COMPLETEAGENT']);
    expect(rows[0]).toMatchObject({ callid: call.callId, data2: '+15551234567', data3: '1' });
    expect(rows[1]).toMatchObject({ agent: 'a1', data2: expect.stringMatching(/^leg-/) });
    const agentLog = await c.a.queueLog.query({ agent: 'a1', event: 'AGENTLOGIN' });
    expect(agentLog).toHaveLength(1);

    await until(() => events.some((e) => e.ev.type === 'end' && e.topic === 'agent:a1'), 5000, 'end event');
    const offer = events.find((e) => e.topic === 'agent:a1' && e.ev.type === 'offer')!.ev;
    expect(offer.screenPop).toMatchObject({ callerNumber: '+15551234567', vars: { lang: 'en' }, digits: '12', queueId: 'sales' });
    const types = events.filter((e) => e.topic === 'agent:a1' && ['offer', 'answer', 'end'].includes(e.ev.type)).map((e) => e.ev.type);
    expect(types).toEqual(['offer', 'answer', 'end']);
    await until(() => events.filter((e) => e.ev.type === 'agent-state').length >= 5, 5000, 'state events');
    const states = events.filter((e) => e.ev.type === 'agent-state').map((e) => e.ev.state);
    expect(states).toEqual(['available', 'reserved', 'on-call', 'wrap-up', 'available']);
  });

  it('is event-driven: a waiting caller is connected the moment an agent logs in', async () => {
    await c.queue({ id: 'q', name: 'Q' });
    await c.agent('a1', { queues: ['q'], login: false });
    const call = new FakeCall();
    const done = c.a.service.enqueue(call, { queueId: 'q' });
    await sleep(100);
    expect(call.bridges).toHaveLength(0);
    const t0 = Date.now();
    await c.a.agentState.request('a1', 'available');
    await until(() => call.bridges.length === 1, 5000, 'offer after login');
    // functional, not a performance bound: the login itself triggers routing (nothing polls)
    expect(call.bridges[0].at - t0).toBeLessThan(800);
    await until(() => !!call.bridgedTo, 5000, 'answered');
    call.callerHangup();
    expect(await done).toMatchObject({ outcome: 'completed', by: 'caller' });
    expect((await log('q')).map((r) => r.event)).toContain('COMPLETECALLER');
  });

  it('offers the next agent after RINGNOANSWER and auto-pauses after N unanswered offers', async () => {
    await c.queue({ id: 'q', name: 'Q', ringTimeoutSec: 1, autoPauseAfter: 2, wrapUpSec: 0 });
    await c.agent('sleepy', { queues: ['q'] });
    await sleep(5);
    await c.agent('eager', { queues: ['q'] });
    const script = (t: { uri: string }) => (agentOf(t as never) === 'sleepy' ? { outcome: 'no-answer' as const, afterMs: 20 } : { outcome: 'answer' as const, afterMs: 5 });
    const call1 = new FakeCall({ script });
    const done1 = c.a.service.enqueue(call1, { queueId: 'q' });
    await until(() => !!call1.bridgedTo, 5000, 'first call answered');
    expect(call1.bridges.map((b) => agentOf(b.target))).toEqual(['sleepy', 'eager']);
    expect((await c.a.agentState.get('sleepy')).state).toBe('available');
    expect((await c.a.agentState.get('sleepy')).unanswered).toBe(1);

    const call2 = new FakeCall({ script });
    const done2 = c.a.service.enqueue(call2, { queueId: 'q' });
    await until(async () => (await c.a.agentState.get('sleepy')).state === 'paused', 5000, 'auto-pause');
    expect((await c.a.agentState.get('sleepy')).reason).toBe('auto-unanswered');
    call1.agentHangup();
    await done1;
    await until(() => !!call2.bridgedTo, 5000, 'second call to eager');
    expect(agentOf(call2.bridgedTo!)).toBe('eager');
    call2.callerHangup();
    await done2;
    const rows = await c.a.queueLog.query({ agent: 'sleepy', limit: 100 });
    expect(rows.filter((r) => r.event === 'RINGNOANSWER')).toHaveLength(2);
    expect(rows.filter((r) => r.event === 'PAUSE')[0]).toMatchObject({ data1: 'auto-unanswered' });
    expect((await c.a.agentState.dayTotals('sleepy')).missed).toBe(2);
  });

  it('serves higher priority first, then first come first served', async () => {
    await c.queue({ id: 'q', name: 'Q', wrapUpSec: 0 });
    await c.agent('a1', { queues: ['q'], login: false });
    const order: string[] = [];
    const mk = (name: string) => {
      const call = new FakeCall({ callId: name });
      call.on('bridged', () => { order.push(name); setTimeout(() => call.agentHangup(), 5); });
      return call;
    };
    const calls = [mk('low-1'), mk('low-2'), mk('high'), mk('mid')];
    const done = [
      c.a.service.enqueue(calls[0], { queueId: 'q' }),
      c.a.service.enqueue(calls[1], { queueId: 'q' }),
      c.a.service.enqueue(calls[2], { queueId: 'q', priority: 9 }),
      c.a.service.enqueue(calls[3], { queueId: 'q', priority: 3 }),
    ];
    await until(async () => (await c.a.service.ledger.count('q')) === 4, 5000, 'all queued');
    await c.a.agentState.request('a1', 'available');
    await Promise.all(done);
    expect(order).toEqual(['high', 'mid', 'low-1', 'low-2']);
  });

  it('counts a hang-up while waiting as ABANDON and while ringing too', async () => {
    await c.queue({ id: 'q', name: 'Q' });
    const waiting = new FakeCall();
    const p1 = c.a.service.enqueue(waiting, { queueId: 'q' });
    await until(async () => (await c.a.service.ledger.count('q')) === 1, 5000, 'queued');
    await sleep(50);
    waiting.callerHangup();
    expect(await p1).toMatchObject({ outcome: 'abandoned' });

    await c.agent('a1', { queues: ['q'] });
    const ringing = new FakeCall({ script: () => ({ outcome: 'answer', afterMs: 10_000 }) });
    const p2 = c.a.service.enqueue(ringing, { queueId: 'q' });
    await until(() => ringing.bridges.length === 1, 5000, 'ringing');
    ringing.callerHangup();
    expect(await p2).toMatchObject({ outcome: 'abandoned' });
    await until(async () => (await c.a.agentState.get('a1')).state === 'available', 5000, 'agent released');
    expect((await c.a.agentState.get('a1')).unanswered).toBe(0);

    const rows = await log('q');
    expect(rows.filter((r) => r.event === 'ABANDON').map((r) => r.callid)).toEqual([waiting.callId, ringing.callId]);
    expect(rows.find((r) => r.event === 'ABANDON')).toMatchObject({ data1: '1', data2: '1' });
    const s = await c.a.stats.stats('q');
    expect(s).toMatchObject({ entered: 2, abandoned: 2, answered: 0, waiting: 0, abandonPct: 100 });
  });

  it('reports queue stats: service level, average speed of answer, abandon %, agents by state, longest wait', async () => {
    await c.queue({ id: 'q', name: 'Q', serviceLevelSec: 1, wrapUpSec: 0 });
    await c.agent('a1', { queues: ['q'] });
    await c.agent('a2', { queues: ['q'], login: false });
    // answered at once (inside the 1 s service level)
    const fast = new FakeCall();
    const pFast = c.a.service.enqueue(fast, { queueId: 'q' });
    await until(() => !!fast.bridgedTo, 5000, 'fast answered');
    // a1 is busy: this one waits 1.3 s for a2
    const slow = new FakeCall();
    const pSlow = c.a.service.enqueue(slow, { queueId: 'q' });
    const gone = new FakeCall();
    const pGone = c.a.service.enqueue(gone, { queueId: 'q' });
    await sleep(600);
    const live = await c.a.stats.stats('q');
    expect(live.waiting).toBe(2);
    expect(live.longestWaitSec).toBeGreaterThanOrEqual(0.5);
    expect(live.agents).toMatchObject({ 'on-call': 1, 'logged-out': 1 });
    gone.callerHangup();
    await pGone;
    await sleep(700);
    await c.a.agentState.request('a2', 'available');
    await until(() => !!slow.bridgedTo, 5000, 'slow answered');
    fast.agentHangup();
    slow.agentHangup();
    await Promise.all([pFast, pSlow]);
    const s = await c.a.stats.stats('q');
    expect(s).toMatchObject({ entered: 3, answered: 2, abandoned: 1, answeredWithinSl: 1, serviceLevelPct: 50, abandonPct: 33.3, waiting: 0, longestWaitSec: 0 });
    expect(s.asaSec).toBeGreaterThanOrEqual(0.6);
    expect(s.asaSec).toBeLessThan(1.2);
    expect(s.agents.available).toBe(2);
  });

  it('skills-based: the best-skilled eligible agent takes the call; the call can add skills', async () => {
    await c.queue({ id: 'support', name: 'Support', strategy: 'skills-based', requiredSkills: { english: 3 } });
    await c.agent('basic', { queues: ['support'], skills: { english: 3 } });
    await c.agent('expert', { queues: ['support'], skills: { english: 9 } });
    await c.agent('billing', { queues: ['support'], skills: { english: 4, billing: 6 } });
    const call = new FakeCall();
    const p = c.a.service.enqueue(call, { queueId: 'support' });
    await until(() => !!call.bridgedTo, 5000, 'answered');
    expect(agentOf(call.bridgedTo!)).toBe('expert');
    const billingCall = new FakeCall();
    const p2 = c.a.service.enqueue(billingCall, { queueId: 'support', skills: { billing: 5 } });
    await until(() => !!billingCall.bridgedTo, 5000, 'answered');
    expect(agentOf(billingCall.bridgedTo!)).toBe('billing');
    call.agentHangup();
    billingCall.agentHangup();
    await Promise.all([p, p2]);
  });

  it('round-robin through the service: agents take turns', async () => {
    await c.queue({ id: 'q', name: 'Q', strategy: 'round-robin', wrapUpSec: 0 });
    for (const id of ['r1', 'r2', 'r3']) await c.agent(id, { queues: ['q'] });
    const got: string[] = [];
    for (let i = 0; i < 4; i++) {
      const call = new FakeCall();
      const p = c.a.service.enqueue(call, { queueId: 'q' });
      await until(() => !!call.bridgedTo, 5000, 'answered');
      got.push(agentOf(call.bridgedTo!));
      call.agentHangup();
      await p;
      await until(async () => (await c.a.agentState.get(got[i])).state === 'available', 5000, 'available again');
    }
    expect(got).toEqual(['r1', 'r2', 'r3', 'r1']);
  });

  it('fewest-calls and least-talk-time rank by the agents\' daily totals', async () => {
    await c.queue({ id: 'q', name: 'Q', strategy: 'fewest-calls', wrapUpSec: 0 });
    await c.agent('busy', { queues: ['q'] });
    await c.agent('fresh', { queues: ['q'] });
    // busy has answered two calls today, fresh none, although busy has been idle longer now
    for (let i = 0; i < 2; i++) {
      await c.a.agentState.transition('busy', 'on-call');
      await c.a.agentState.transition('busy', 'available');
    }
    await sleep(5);
    await c.a.agentState.transition('fresh', 'available');
    const call = new FakeCall();
    const p = c.a.service.enqueue(call, { queueId: 'q' });
    await until(() => !!call.bridgedTo, 5000, 'answered');
    expect(agentOf(call.bridgedTo!)).toBe('fresh');
    call.agentHangup();
    await p;

    // least-talk-time: 'fresh' has one short call now, 'talker' one long call; 'busy' two very short ones
    await c.queue({ id: 'lt', name: 'LT', strategy: 'least-talk-time', wrapUpSec: 0 });
    await c.agent('talker', { queues: ['lt'] });
    await c.a.agentState.transition('talker', 'on-call');
    await sleep(150);
    await c.a.agentState.transition('talker', 'available');
    await c.a.agents.upsert({ id: 'busy', name: 'busy', sipUsername: 'busy', sipPassword: 'busy-secret-pw', skills: {}, queues: ['q', 'lt'] });
    await until(async () => (await c.a.agentState.get('fresh')).state === 'available', 5000, 'fresh available');
    await c.a.agents.upsert({ id: 'fresh', name: 'fresh', sipUsername: 'fresh', sipPassword: 'fresh-secret-pw', skills: {}, queues: ['q', 'lt'] });
    const totals = await Promise.all(['busy', 'fresh', 'talker'].map((id) => c.a.agentState.dayTotals(id)));
    expect(totals[2].talkMs).toBeGreaterThan(Math.max(totals[0].talkMs, totals[1].talkMs));
    const expected = totals[0].talkMs <= totals[1].talkMs ? 'busy' : 'fresh';
    const call2 = new FakeCall();
    const p2 = c.a.service.enqueue(call2, { queueId: 'lt' });
    await until(() => !!call2.bridgedTo, 5000, 'answered');
    expect(agentOf(call2.bridgedTo!)).toBe(expected);
    call2.agentHangup();
    await p2;
  });

  it('random: picks through the injected random source', async () => {
    await c.close();
    c = await acdCluster(1, { random: () => 0.999 });
    await c.queue({ id: 'q', name: 'Q', strategy: 'random' });
    for (const id of ['x1', 'x2', 'x3']) await c.agent(id, { queues: ['q'] });
    const call = new FakeCall();
    const p = c.a.service.enqueue(call, { queueId: 'q' });
    await until(() => !!call.bridgedTo, 5000, 'answered');
    // agents are considered in id order, so 0.999 picks the last of the pool
    expect(agentOf(call.bridgedTo!)).toBe('x3');
    call.agentHangup();
    await p;
  });

  it('pauses an available agent whose softphone is not registered instead of ringing nothing', async () => {
    await c.queue({ id: 'q', name: 'Q' });
    await c.agent('nophone', { queues: ['q'], register: false });
    await sleep(5);
    await c.agent('phone', { queues: ['q'] });
    const call = new FakeCall();
    const p = c.a.service.enqueue(call, { queueId: 'q' });
    await until(() => !!call.bridgedTo, 5000, 'answered');
    expect(agentOf(call.bridgedTo!)).toBe('phone');
    expect(await c.a.agentState.get('nophone')).toMatchObject({ state: 'paused', reason: 'not-registered' });
    call.agentHangup();
    await p;
  });

  it('agent hold periods (re-INVITE from the agent leg) add up as hold time; transfers are logged', async () => {
    await c.queue({ id: 'q', name: 'Q', wrapUpSec: 0 });
    await c.agent('a1', { queues: ['q'] });
    const call = new FakeCall();
    const p = c.a.service.enqueue(call, { queueId: 'q' });
    await until(async () => (await c.a.agentState.get('a1')).state === 'on-call', 5000, 'on-call');
    call.emit('hold', 'customer'); // the customer's own hold is not the agent's hold time
    call.emit('hold', 'peer');
    await sleep(120);
    call.emit('unhold', 'peer');
    await until(async () => (await c.a.agentState.dayTotals('a1')).holdMs > 0, 5000, 'hold time');
    const held = (await c.a.agentState.dayTotals('a1')).holdMs;
    expect(held).toBeGreaterThanOrEqual(100);
    expect(held).toBeLessThan(1000);
    await c.a.service.reportTransfer(call.callId, 'q', 'a1', 'sip:2001@127.0.0.1');
    call.agentHangup();
    await p;
    const rows = await c.a.queueLog.query({ queue: 'q', event: 'TRANSFER' });
    expect(rows[0]).toMatchObject({ agent: 'a1', data1: 'sip:2001@127.0.0.1' });
    expect((await c.a.agentState.dayTotals('a1')).talkMs).toBeGreaterThanOrEqual(held);
  });

  it('a caller who hangs up while being queued is counted as abandoned, not left waiting', async () => {
    await c.queue({ id: 'q', name: 'Q' });
    const call = new FakeCall();
    const p = c.a.service.enqueue(call, { queueId: 'q' });
    call.callerHangup();
    expect(await p).toMatchObject({ outcome: 'abandoned' });
    expect(await c.a.service.ledger.count('q')).toBe(0);
  });

  it('the screen pop carries the customer record from the lead store, and reading it is audit-logged', async () => {
    await c.close();
    let audit!: AuditLog;
    c = await acdCluster(1, (keys, redis) => {
      audit = new AuditLog(redis, keys);
      const lead = { id: 'L7', campaignId: 'c1', phone: '+15557778888', name: 'Li Lei', fields: { plan: 'gold' }, interest: 'interested', ownerAgentId: 'a1' };
      return { audit, customers: leadCustomers({ get: async (id: string) => (id === 'L7' ? lead : null) }) };
    });
    events = [];
    await c.a.bus.onEvent((topic, ev) => events.push({ topic, ev }));
    await c.queue({ id: 'q', name: 'Q' });
    await c.agent('a1', { queues: ['q'] });
    const call = new FakeCall({ remoteNumber: '+15557778888' });
    const p = c.a.service.enqueue(call, { queueId: 'q', leadId: 'L7' });
    await until(() => events.some((e) => e.ev.type === 'offer'), 5000, 'offer');
    const pop = events.find((e) => e.ev.type === 'offer')!.ev.screenPop as Record<string, unknown>;
    expect(pop.customer).toEqual({ leadId: 'L7', campaignId: 'c1', phone: '+15557778888', name: 'Li Lei', fields: { plan: 'gold' }, interest: 'interested', ownerAgentId: 'a1' });
    expect(pop.leadId).toBe('L7');
    await until(() => !!call.bridgedTo, 5000, 'answered');
    call.agentHangup();
    await p;
    expect((await audit.list({ action: 'lead.screen-pop' }))[0]).toMatchObject({ actor: 'a1', role: 'agent', target: 'L7' });
  });
});
