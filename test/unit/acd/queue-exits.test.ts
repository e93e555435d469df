import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BridgeResult, BridgeTarget } from '../../../src/calls/call-channel.js';
import type { CallbackRequest, OwnerLookup } from '../../../src/queue/ports.js';
import { FakeCall, agentOf } from '../../support/acd-fakes.js';
import { acdCluster, sleep, until } from '../../support/acd.js';

type Cluster = Awaited<ReturnType<typeof acdCluster>>;

describe('queue exits, overflow, announcements, owner-first and ring-all', () => {
  let c: Cluster;
  const callbacks: CallbackRequest[] = [];
  const owners = new Map<string, string>();
  const ownerLookup: OwnerLookup = { ownerOf: async (k) => owners.get(k) ?? null };
  beforeEach(async () => {
    callbacks.length = 0;
    owners.clear();
    c = await acdCluster(1, { callbacks: { requestCallback: async (r) => void callbacks.push(r) }, owners: ownerLookup });
  });
  afterEach(async () => c.close());

  const events = async (q: string) => (await c.a.queueLog.query({ queue: q, limit: 100 })).reverse().map((r) => r.event);

  it('max wait then overflow into another queue', async () => {
    await c.queue({ id: 'first', name: 'First', maxWaitSec: 0.2, overflow: { type: 'queue', queueId: 'second' } });
    await c.queue({ id: 'second', name: 'Second' });
    await c.agent('b1', { queues: ['second'] });
    const call = new FakeCall();
    const p = c.a.service.enqueue(call, { queueId: 'first', vars: { k: 'v' } });
    await until(() => !!call.bridgedTo, 5000, 'answered in overflow queue');
    expect(agentOf(call.bridgedTo!)).toBe('b1');
    call.agentHangup();
    const o = await p;
    expect(o).toMatchObject({ outcome: 'timeout', action: 'queue', next: { outcome: 'completed', queueId: 'second', agentId: 'b1' } });
    expect(await events('first')).toEqual(['ENTERQUEUE', 'EXITWITHTIMEOUT']);
    expect(await events('second')).toEqual(['ENTERQUEUE', 'CONNECT', 'COMPLETEAGENT']);
    expect((await c.a.stats.stats('first')).timedOut).toBe(1);
  });

  it('max wait then a voicemail-style message, a callback offer, or hang-up', async () => {
    await c.queue({ id: 'msg', name: 'M', maxWaitSec: 0.1, overflow: { type: 'message', prompt: 'leave-a-message' } });
    await c.queue({ id: 'cb', name: 'C', maxWaitSec: 0.1, overflow: { type: 'callback', acceptKey: '1' } });
    await c.queue({ id: 'bye', name: 'B', maxWaitSec: 0.1, overflow: { type: 'hangup' } });
    const m = new FakeCall();
    expect(await c.a.service.enqueue(m, { queueId: 'msg' })).toMatchObject({ outcome: 'timeout', action: 'message' });
    expect(m.played.at(-1)).toEqual(['/prompts/leave-a-message.wav']);

    const cb = new FakeCall({ remoteNumber: '+15557654321' });
    cb.digitsToCollect.push('1');
    expect(await c.a.service.enqueue(cb, { queueId: 'cb', leadId: 'L9' })).toMatchObject({ outcome: 'timeout', action: 'callback', callbackRequested: true });
    expect(callbacks).toEqual([expect.objectContaining({ queueId: 'cb', phone: '+15557654321', leadId: 'L9', reason: 'overflow' })]);
    expect(cb.played.flat()).toContain('/prompts/queue-callback-confirmed.wav');

    const declined = new FakeCall();
    declined.digitsToCollect.push('2');
    expect(await c.a.service.enqueue(declined, { queueId: 'cb' })).toMatchObject({ action: 'callback', callbackRequested: false });
    expect(callbacks).toHaveLength(1);

    const b = new FakeCall();
    expect(await c.a.service.enqueue(b, { queueId: 'bye' })).toMatchObject({ outcome: 'timeout', action: 'hangup' });
    expect(b.ended).toBe(true);
  });

  it('exit key leaves the queue and leaves a callback request', async () => {
    await c.queue({ id: 'q', name: 'Q', exitKey: '*' });
    const call = new FakeCall({ remoteNumber: '+15550001111' });
    const p = c.a.service.enqueue(call, { queueId: 'q' });
    await until(async () => (await c.a.service.ledger.count('q')) === 1, 5000, 'queued');
    call.pressKey('5');
    await sleep(30);
    expect(await c.a.service.ledger.count('q')).toBe(1);
    call.pressKey('*');
    expect(await p).toMatchObject({ outcome: 'exit-key', key: '*', callbackRequested: true });
    expect(callbacks[0]).toMatchObject({ phone: '+15550001111', reason: 'exit-key' });
    const rows = await c.a.queueLog.query({ queue: 'q', event: 'EXITWITHKEY' });
    expect(rows[0]).toMatchObject({ data1: '*', data2: '1' });
  });

  it('joinEmpty off: nobody logged in means no joining; leaveWhenEmpty: callers leave when the last agent logs out', async () => {
    await c.queue({ id: 'nj', name: 'NJ', joinEmpty: false, overflow: { type: 'message', prompt: 'closed' } });
    await c.agent('n1', { queues: ['nj'], login: false });
    const call = new FakeCall();
    expect(await c.a.service.enqueue(call, { queueId: 'nj' })).toMatchObject({ outcome: 'empty', action: 'message' });
    expect(await events('nj')).toEqual(['EXITEMPTY']);

    await c.queue({ id: 'lw', name: 'LW', leaveWhenEmpty: true });
    await c.agent('l1', { queues: ['lw'], login: false });
    await c.a.agentState.request('l1', 'paused', 'lunch');
    const waiting = new FakeCall();
    const p = c.a.service.enqueue(waiting, { queueId: 'lw' });
    await until(async () => (await c.a.service.ledger.count('lw')) === 1, 5000, 'queued');
    await c.a.agentState.request('l1', 'logged-out');
    expect(await p).toMatchObject({ outcome: 'empty', action: 'none' });
    expect(await events('lw')).toEqual(['ENTERQUEUE', 'EXITEMPTY']);
  });

  it('announces position and estimated wait every N seconds, back to music on hold after', async () => {
    await c.queue({ id: 'q', name: 'Q', announceEverySec: 0.15, wrapUpSec: 0 });
    // one answered call with a measurable wait gives the estimate a basis
    await c.a.stats.bump('q', { answered: 1, answerWaitMs: 150_000 });
    const first = new FakeCall();
    const second = new FakeCall();
    const p1 = c.a.service.enqueue(first, { queueId: 'q' });
    await until(async () => (await c.a.service.ledger.count('q')) === 1, 5000, 'first queued');
    const p2 = c.a.service.enqueue(second, { queueId: 'q' });
    await until(() => second.played.length >= 1, 5000, 'announcement');
    expect(second.played[0]).toEqual([
      '/prompts/queue-you-are-number.wav', '/prompts/digits/2.wav', '/prompts/queue-in-line.wav',
      '/prompts/queue-estimated-wait.wav', '/prompts/digits/5.wav', '/prompts/queue-minutes.wav',
    ]);
    await until(() => second.holds.length >= 2, 5000, 'hold resumed');
    first.callerHangup();
    second.callerHangup();
    await Promise.all([p1, p2]);
  });

  describe('owner-first', () => {
    it('a known customer goes to their own rep even when another agent has been idle longer', async () => {
      await c.queue({ id: 'o', name: 'O', strategy: 'owner-first', ownerFallbackSec: 5 });
      await c.agent('other', { queues: ['o'] });
      await sleep(20);
      await c.agent('rep', { queues: [] }); // the owner need not be a member of the queue
      owners.set('+15559990000', 'rep');
      const call = new FakeCall({ remoteNumber: '+15559990000' });
      const p = c.a.service.enqueue(call, { queueId: 'o' });
      await until(() => !!call.bridgedTo, 5000, 'answered');
      expect(agentOf(call.bridgedTo!)).toBe('rep');
      call.agentHangup();
      await p;
    });

    it('waits for a busy rep, then falls back after ownerFallbackSec', async () => {
      await c.queue({ id: 'o', name: 'O', strategy: 'owner-first', ownerFallbackSec: 0.4 });
      await c.agent('other', { queues: ['o'] });
      await c.agent('rep', { queues: ['o'] });
      await c.a.agentState.transition('rep', 'on-call');
      owners.set('L1', 'rep');
      const call = new FakeCall();
      const t0 = Date.now();
      const p = c.a.service.enqueue(call, { queueId: 'o', leadId: 'L1' });
      await until(() => call.bridges.length > 0, 5000, 'fallback offer');
      const waited = call.bridges[0].at - t0;
      expect(agentOf(call.bridges[0].target)).toBe('other');
      expect(waited).toBeGreaterThanOrEqual(380);
      expect(waited).toBeLessThan(1500);
      await until(() => !!call.bridgedTo, 5000, 'answered');
      call.agentHangup();
      await p;
    });

    it('the rep coming free before the deadline takes the call at once', async () => {
      await c.queue({ id: 'o', name: 'O', strategy: 'owner-first', ownerFallbackSec: 10 });
      await c.agent('other', { queues: ['o'] });
      await c.agent('rep', { queues: ['o'] });
      await c.a.agentState.transition('rep', 'on-call');
      owners.set('L2', 'rep');
      const call = new FakeCall();
      const p = c.a.service.enqueue(call, { queueId: 'o', leadId: 'L2' });
      await sleep(150);
      expect(call.bridges).toHaveLength(0);
      await c.a.agentState.transition('rep', 'available');
      await until(() => !!call.bridgedTo, 5000, 'answered by rep');
      expect(agentOf(call.bridgedTo!)).toBe('rep');
      call.agentHangup();
      await p;
    });
  });

  describe('ring-all', () => {
    it('rings every available agent at once when call control can fork; the losers go back to available', async () => {
      await c.queue({ id: 'r', name: 'R', strategy: 'ring-all' });
      for (const id of ['g1', 'g2', 'g3']) await c.agent(id, { queues: ['r'] });
      const call = new FakeCall() as FakeCall & { bridgeAny(t: BridgeTarget[]): Promise<BridgeResult & { index?: number }> };
      let forked: BridgeTarget[] = [];
      call.bridgeAny = async (targets) => {
        forked = targets;
        const states = await Promise.all(['g1', 'g2', 'g3'].map((id) => c.a.agentState.get(id)));
        expect(states.every((s) => s.state === 'reserved')).toBe(true);
        const i = targets.findIndex((t) => agentOf(t) === 'g2');
        call.bridgedTo = targets[i];
        call.emit('bridged', 'leg-g2');
        return { outcome: 'bridged', legCallId: 'leg-g2', index: i };
      };
      const p = c.a.service.enqueue(call, { queueId: 'r' });
      await until(async () => (await c.a.agentState.get('g2')).state === 'on-call', 5000, 'g2 on call');
      expect(forked.map(agentOf).sort()).toEqual(['g1', 'g2', 'g3']);
      expect((await c.a.agentState.get('g1')).state).toBe('available');
      expect((await c.a.agentState.get('g3')).state).toBe('available');
      call.agentHangup();
      expect(await p).toMatchObject({ outcome: 'completed', agentId: 'g2' });
    });

    it('without forking, hunts through the reserved agents one at a time', async () => {
      await c.queue({ id: 'r', name: 'R', strategy: 'ring-all', autoPauseAfter: 0 });
      await c.agent('h1', { queues: ['r'] });
      await sleep(5);
      await c.agent('h2', { queues: ['r'] });
      const call = new FakeCall({ script: (t) => (agentOf(t) === 'h1' ? { outcome: 'busy' } : { outcome: 'answer' }) });
      const p = c.a.service.enqueue(call, { queueId: 'r' });
      await until(() => !!call.bridgedTo, 5000, 'answered');
      expect(call.bridges.map((b) => agentOf(b.target))).toEqual(['h1', 'h2']);
      expect((await c.a.agentState.get('h1')).state).toBe('available');
      call.agentHangup();
      await p;
    });
  });

  it('a call-control failure during the offer ends with outcome error and frees the agent', async () => {
    await c.queue({ id: 'q', name: 'Q' });
    await c.agent('a1', { queues: ['q'] });
    const call = new FakeCall({ script: () => { throw new Error('media server down'); } });
    expect(await c.a.service.enqueue(call, { queueId: 'q' })).toMatchObject({ outcome: 'error', reason: 'internal' });
    expect((await c.a.agentState.get('a1')).state).toBe('available');
    expect(await c.a.stats.stats('q')).toMatchObject({ waiting: 0 });
  });
});
