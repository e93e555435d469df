import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { OwnerPreviewDialer, type OwnerCallPlacer } from '../../../src/scheduler/preview-dialer.js';
import { TollFraudError } from '../../../src/calls/originator.js';
import type { CallbackOffer, OriginateResult } from '../../../src/scheduler/ports.js';
import { acdCluster } from '../../support/acd.js';
import { FakeCall, type BridgeScript } from '../../support/acd-fakes.js';
import { FakeBus } from '../../support/scheduler-fakes.js';

/** Agent-first preview dialling over the real agent state machine (Redis); the SIP legs are scripted channels. */
class ScriptedCalls implements OwnerCallPlacer {
  agentRings: { uri: string; callerId: string; headers?: Record<string, string> }[] = [];
  agentLegs: FakeCall[] = [];
  agentAnswers = true;
  customer: BridgeScript = () => ({ outcome: 'answer', afterMs: 5 });
  async callContact(req: { uri: string; callerId: string; ringTimeoutMs?: number; headers?: Record<string, string> }): Promise<OriginateResult> {
    this.agentRings.push(req);
    if (!this.agentAnswers) return { outcome: 'no-answer', sipStatus: 487 };
    const call = new FakeCall({ remoteNumber: 'agent', script: (t) => this.customer(t) });
    this.agentLegs.push(call);
    return { outcome: 'answered', call };
  }
  trunkUriFor(to: string): { uri: string; number: string } {
    if (!to.startsWith('+86')) throw new TollFraudError(to, 'not within allowed prefixes +86');
    return { uri: `sip:${to}@trunk.test`, number: to };
  }
}

let cluster: Awaited<ReturnType<typeof acdCluster>>;
let bus: FakeBus;
let calls: ScriptedCalls;
let dialer: OwnerPreviewDialer;
const offer = (id: string, phone = '+8613800138000'): CallbackOffer => ({ callbackId: id, phone, leadId: 'L1', campaignId: 'c1', note: 'renewal', dueAt: Date.now() });
const status = (id: string) => cluster.a.agentState.get(id);

beforeAll(async () => {
  cluster = await acdCluster(1);
  await cluster.queue({ id: 'q', name: 'Q' });
  await cluster.agent('o1', { queues: ['q'] });
  await cluster.agent('o2', { queues: ['q'], register: false });
  await cluster.agent('o3', { queues: ['q'], login: false });
});
afterAll(() => cluster.close());

function fresh(): void {
  bus = new FakeBus();
  calls = new ScriptedCalls();
  dialer = new OwnerPreviewDialer({
    agentState: cluster.a.agentState, directory: cluster.a.directory, calls, bus, callerId: '+861000000000',
    customers: { find: async (q) => ({ name: 'Ms Wang', phone: q.phone, leadId: q.leadId }) },
    log: pino({ level: 'silent' }), autoWrapMs: 10, audit: { record: async (who, action, target, detail) => void audits.push({ who: who.sub, action, target, detail }) },
  });
}
const audits: { who: string; action: string; target: string; detail?: Record<string, unknown> }[] = [];
const offerEvents = () => bus.events.filter((e) => e.event.type.startsWith('callback.offer'));

describe('OwnerPreviewDialer (agent first)', () => {
  it('reserves the owner, pops the masked offer, rings the owner, then dials the customer and bridges; wrap-up after', async () => {
    fresh();
    let claims = 0;
    const seen: string[] = [];
    const t = cluster.a.agentState.onTransition((x) => x.agentId === 'o1' && seen.push(x.state));
    const r = await dialer.offerToAgent('o1', offer('cb1'), { beforeCustomerDial: async () => (claims++, true) });
    t();
    expect(r).toEqual({ accepted: true, callId: calls.agentLegs[0].callId, customer: 'connected' });
    expect(claims).toBe(1);
    expect(seen).toEqual(['reserved', 'on-call']);
    expect(calls.agentRings[0]).toMatchObject({ uri: 'sip:o1@127.0.0.1:5099', headers: { 'X-Callback-Id': 'cb1', 'X-Lead-Id': 'L1' } });
    expect(calls.agentLegs[0].bridgedTo).toMatchObject({ uri: 'sip:+8613800138000@trunk.test', callerId: '+861000000000' });
    expect(offerEvents().map((e) => [e.topic, e.event.type, e.event.outcome])).toEqual([
      ['agent:o1', 'callback.offer', undefined], ['agent:o1', 'callback.offer-result', 'connected'],
    ]);
    const pop = offerEvents()[0].event;
    expect(pop).toMatchObject({ callbackId: 'cb1', phone: '+*********8000', note: 'renewal', leadId: 'L1', customer: { name: 'Ms Wang', phone: '+*********8000' } });
    expect(JSON.stringify(bus.events)).not.toContain('13800138000');
    expect(audits).toContainEqual({ who: 'o1', action: 'lead.screen-pop', target: 'L1', detail: { callbackId: 'cb1' } });
    expect((await status('o1')).state).toBe('on-call');
    expect((await status('o1')).callId).toBe(calls.agentLegs[0].callId);
    calls.agentLegs[0].callerHangup();
    await expect.poll(async () => (await status('o1')).state, { timeout: 2000 }).toBe('wrap-up');
    await expect.poll(async () => (await status('o1')).state, { timeout: 2000 }).toBe('available');
  });

  it("owner's phone does not answer: not accepted, back to available with one unanswered offer, customer never dialled", async () => {
    fresh();
    calls.agentAnswers = false;
    let claims = 0;
    const before = (await status('o1')).unanswered;
    expect(await dialer.offerToAgent('o1', offer('cb2'), { beforeCustomerDial: async () => (claims++, true) })).toEqual({ accepted: false });
    expect(claims).toBe(0);
    expect(await status('o1')).toMatchObject({ state: 'available', unanswered: before + 1 });
    expect(offerEvents().at(-1)?.event).toMatchObject({ type: 'callback.offer-result', outcome: 'agent-no-answer' });
    await cluster.a.agentState.request('o1', 'available'); // clears the unanswered count for the next tests
  });

  it.each(['busy', 'no-answer'] as const)('customer %s: the owner leg is released and the owner is available again', async (outcome) => {
    fresh();
    calls.customer = () => ({ outcome, afterMs: 5 });
    const seen: string[] = [];
    const t = cluster.a.agentState.onTransition((x) => x.agentId === 'o1' && seen.push(x.state));
    const r = await dialer.offerToAgent('o1', offer(`cb-${outcome}`));
    t();
    expect(r).toMatchObject({ accepted: true, customer: outcome });
    expect(seen).toEqual(['reserved', 'available']); // reserved while the customer rang; no call counted
    expect(calls.agentLegs[0].ended).toBe(true);
    expect((await status('o1')).state).toBe('available');
    expect(offerEvents().at(-1)?.event).toMatchObject({ outcome });
  });

  it('the runner refuses the dial (caps / dial claim): nothing dialled, owner released', async () => {
    fresh();
    const r = await dialer.offerToAgent('o1', offer('cb3'), { beforeCustomerDial: async () => false });
    expect(r).toMatchObject({ accepted: true, customer: 'not-dialled' });
    expect(calls.agentLegs[0].bridges).toHaveLength(0);
    expect(calls.agentLegs[0].ended).toBe(true);
    expect((await status('o1')).state).toBe('available');
  });

  it('a number outside the allowed prefixes is never dialled (toll-fraud guard)', async () => {
    fresh();
    const r = await dialer.offerToAgent('o1', offer('cb4', '+447911123456'));
    expect(r).toMatchObject({ accepted: true, customer: 'failed' });
    expect(calls.agentLegs[0].bridges).toHaveLength(0);
    expect((await status('o1')).state).toBe('available');
  });

  it('not accepted and nothing rung when the owner is not available or has no registered phone', async () => {
    fresh();
    expect(await dialer.offerToAgent('o3', offer('cb5'))).toEqual({ accepted: false });
    expect(await dialer.offerToAgent('o2', offer('cb6'))).toEqual({ accepted: false });
    expect((await status('o2')).state).toBe('available'); // reservation given back
    expect(calls.agentRings).toHaveLength(0);
  });

  it('two callbacks due for the same owner at once: one call, the other is not accepted', async () => {
    fresh();
    calls.customer = () => ({ outcome: 'answer', afterMs: 30 });
    const [a, b] = await Promise.all([dialer.offerToAgent('o1', offer('cb7')), dialer.offerToAgent('o1', offer('cb8'))]);
    expect([a.accepted, b.accepted].sort()).toEqual([false, true]);
    expect(calls.agentRings).toHaveLength(1);
    calls.agentLegs[0].callerHangup();
    await expect.poll(async () => (await status('o1')).state, { timeout: 2000 }).toBe('available');
  });
});
