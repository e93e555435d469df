import { afterEach, describe, expect, it } from 'vitest';
import { FakeCall, agentOf } from '../../support/acd-fakes.js';
import { acdCluster, sleep, until } from '../../support/acd.js';

type Cluster = Awaited<ReturnType<typeof acdCluster>>;

describe('several router instances on separate Redis connections sharing one queue', () => {
  let c: Cluster;
  afterEach(async () => c?.close());

  it('the reservation script gives each agent to one call and each call to one agent under a concurrent storm', async () => {
    c = await acdCluster(3);
    await c.queue({ id: 'race', name: 'Race' });
    const agentIds = Array.from({ length: 10 }, (_, i) => `ag${i}`);
    for (const id of agentIds) await c.agent(id, { queues: ['race'] });
    const callIds = Array.from({ length: 10 }, (_, i) => `rc${i}`);
    const ledger = c.a.service.ledger;
    for (const [i, id] of callIds.entries()) {
      await ledger.add({ callId: id, queueId: 'race', instance: 'x', priority: 0, enqueuedAt: Date.now() + i, requiredSkills: {}, ownerAgentId: null, callerNumber: '+1' });
    }
    // every instance tries to reserve every call with all agents in its own random order, all at once
    const attempts = c.instances.flatMap((inst) =>
      callIds.map((callId) => {
        const order = [...agentIds].sort(() => Math.random() - 0.5);
        return inst.service.ledger.reserve({
          callId, queueId: 'race', agentIds: order, mode: 'first', now: Date.now(),
          stateKey: (id) => inst.agentState.stateKey(id), availableKey: inst.agentState.availableKey,
          totalsKey: (id, day) => inst.agentState.totalsKey(id, day),
        }).then((r) => ({ callId, r }));
      }),
    );
    const results = await Promise.all(attempts);
    const won = results.filter((x) => x.r !== 'gone' && x.r.length > 0) as { callId: string; r: { agentId: string }[] }[];
    expect(won).toHaveLength(10);
    expect(new Set(won.map((w) => w.callId)).size).toBe(10);
    expect(new Set(won.map((w) => w.r[0].agentId)).size).toBe(10);
    expect(won.every((w) => w.r.length === 1)).toBe(true);
    const states = await c.a.agentState.getMany(agentIds);
    expect(states.every((s) => s.state === 'reserved')).toBe(true);
    expect(new Set(states.map((s) => s.callId)).size).toBe(10);
    expect(await c.redis.zcard(c.a.agentState.availableKey)).toBe(0);
  });

  it('3 QueueService instances racing over one queue: every call is answered once, no agent ever has two calls', async () => {
    c = await acdCluster(3);
    await c.queue({ id: 'race', name: 'Race', wrapUpSec: 0 });
    const agentIds = Array.from({ length: 6 }, (_, i) => `ag${i}`);
    for (const id of agentIds) await c.agent(id, { queues: ['race'] });

    const busy = new Map<string, string>();
    const violations: string[] = [];
    const bridgedCalls = new Map<string, string[]>();
    const calls: FakeCall[] = [];
    const outcomes: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i++) {
      const call = new FakeCall({ callId: `race-${i}`, script: () => ({ outcome: 'answer', afterMs: 1 + Math.floor(Math.random() * 5) }) });
      call.on('bridged', () => {
        const agent = agentOf(call.bridgedTo!);
        if (busy.has(agent)) violations.push(`${agent} got ${call.callId} while on ${busy.get(agent)}`);
        busy.set(agent, call.callId);
        bridgedCalls.set(call.callId, [...(bridgedCalls.get(call.callId) ?? []), agent]);
        setTimeout(() => {
          busy.delete(agent);
          call.agentHangup();
        }, 10 + Math.floor(Math.random() * 20));
      });
      calls.push(call);
      // calls arrive on the three instances in turn, in bursts
      outcomes.push(c.instances[i % 3].service.enqueue(call, { queueId: 'race' }));
      if (i % 10 === 9) await sleep(5);
    }
    const results = await Promise.all(outcomes);
    expect(violations).toEqual([]);
    expect(results.every((r) => (r as { outcome: string }).outcome === 'completed')).toBe(true);
    expect([...bridgedCalls.values()].every((agents) => agents.length === 1)).toBe(true);
    expect(bridgedCalls.size).toBe(30);
    // each instance connected some of its own calls, and work was spread over the agents
    const perAgent = new Map<string, number>();
    for (const [a] of [...bridgedCalls.values()]) perAgent.set(a, (perAgent.get(a) ?? 0) + 1);
    expect(perAgent.size).toBeGreaterThanOrEqual(4);
    await until(async () => (await c.a.agentState.getMany(agentIds)).every((s) => s.state === 'available'), 5000, 'all available');
    const connects = await c.a.queueLog.query({ queue: 'race', event: 'CONNECT', limit: 100 });
    expect(connects).toHaveLength(30);
    expect(new Set(connects.map((r) => r.callid)).size).toBe(30);
    const s = await c.a.stats.stats('race');
    expect(s).toMatchObject({ entered: 30, answered: 30, waiting: 0 });
  });

  it('a waiting call whose instance died (no heartbeat) is dropped instead of holding agents', async () => {
    c = await acdCluster(2);
    await c.queue({ id: 'q', name: 'Q' });
    await c.agent('a1', { queues: ['q'] });
    // a call another live instance holds, older than ours: it keeps its turn
    const live = c.instances[1].service.instanceId;
    await c.a.service.ledger.add({ callId: 'remote-live', queueId: 'q', instance: live, priority: 0, enqueuedAt: Date.now() - 5000, requiredSkills: {}, ownerAgentId: null, callerNumber: '+1' });
    // and an even older one from an instance that is gone
    await c.a.service.ledger.add({ callId: 'orphan', queueId: 'q', instance: 'crashed-instance', priority: 0, enqueuedAt: Date.now() - 9000, requiredSkills: {}, ownerAgentId: null, callerNumber: '+1' });
    const call = new FakeCall();
    const t0 = Date.now();
    const p = c.a.service.enqueue(call, { queueId: 'q' });
    await until(async () => (await c.redis.hget(c.a.service.ledger.callKey('orphan'), 'state')) === 'lost', 5000, 'orphan dropped');
    // the agent is left for the live instance's older call for a grace period (that instance would take it
    // at once); this fake entry is never taken, so after the grace our caller gets the agent
    await sleep(150);
    expect(call.bridges).toHaveLength(0);
    await until(() => !!call.bridgedTo, 5000, 'answered after the grace period');
    expect(call.bridges[0].at - t0).toBeGreaterThanOrEqual(450);
    expect((await c.a.service.ledger.waiting('q')).map((x) => x.callId)).toEqual(['remote-live']);
    call.agentHangup();
    await p;
  });

  it('agents left busy by a stopped instance are freed; a live instance\'s and the dialer\'s are not', async () => {
    c = await acdCluster(2);
    await c.queue({ id: 'q', name: 'Q' });
    for (const id of ['dead1', 'dead2', 'live1', 'dialer1']) await c.agent(id, { queues: ['q'] });
    const ledger = c.a.service.ledger;
    const add = (callId: string, instance: string) =>
      ledger.add({ callId, queueId: 'q', instance, priority: 0, enqueuedAt: Date.now(), requiredSkills: {}, ownerAgentId: null, callerNumber: '+1' });
    await add('call-dead1', 'gone-instance');
    await add('call-dead2', 'gone-instance');
    await add('call-live1', c.instances[1].service.instanceId);
    await c.a.agentState.transition('dead1', 'on-call', { callId: 'call-dead1' });
    await c.a.agentState.transition('dead2', 'wrap-up', { callId: 'call-dead2' });
    await c.a.agentState.transition('live1', 'on-call', { callId: 'call-live1' });
    await c.a.agentState.transition('dialer1', 'reserved', { reason: 'dialer:c1' });
    expect((await c.a.service.sweepStuckAgents()).sort()).toEqual(['dead1', 'dead2']);
    const states = await c.a.agentState.getMany(['dead1', 'dead2', 'live1', 'dialer1']);
    expect(states.map((s) => s.state)).toEqual(['available', 'available', 'on-call', 'reserved']);
  });
});
