import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { BridgingPreviewDialer } from '../../../src/wiring/preview-dialer.js';
import { acdAgentAvailability } from '../../../src/wiring/agent-availability.js';
import type { CallbackOffer, OriginateRequest, OriginateResult, Originator } from '../../../src/scheduler/ports.js';
import { acdCluster } from '../../support/acd.js';
import { FakeCall, type BridgeScript } from '../../support/acd-fakes.js';
import { FakeBus } from '../../support/scheduler-fakes.js';

/** Callback preview for the owner over the real agent state machine (Redis); the customer leg is a scripted channel. */
class ScriptedOriginator implements Originator {
  requests: OriginateRequest[] = [];
  calls: FakeCall[] = [];
  next: 'answer' | 'no-answer' = 'answer';
  agentLeg: BridgeScript = () => ({ outcome: 'answer', afterMs: 5 });
  async originate(req: OriginateRequest): Promise<OriginateResult> {
    this.requests.push(req);
    if (this.next === 'no-answer') return { outcome: 'no-answer', sipStatus: 487 };
    const call = new FakeCall({ remoteNumber: req.to, script: this.agentLeg });
    this.calls.push(call);
    return { outcome: 'answered', call };
  }
}

let cluster: Awaited<ReturnType<typeof acdCluster>>;
let bus: FakeBus;
let orig: ScriptedOriginator;
let dialer: BridgingPreviewDialer;
const cb = (id: string): CallbackOffer => ({ callbackId: id, phone: '+8613800138000', leadId: 'L1', campaignId: 'c1', note: 'renewal', dueAt: Date.now() });
const state = async (id: string) => (await cluster.a.agentState.get(id)).state;

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
  orig = new ScriptedOriginator();
  dialer = new BridgingPreviewDialer({
    agentState: cluster.a.agentState, directory: cluster.a.directory, originator: orig, bus, callerId: '+861000000000',
    log: pino({ level: 'silent' }), previewMs: 10, autoWrapMs: 10,
  });
}

describe('acdAgentAvailability', () => {
  it('available and registered; not when logged out or without a phone', async () => {
    const a = acdAgentAvailability({ agentState: cluster.a.agentState, directory: cluster.a.directory });
    expect(await a.isAvailable('o1')).toBe(true);
    expect(await a.isAvailable('o2')).toBe(false);
    expect(await a.isAvailable('o3')).toBe(false);
  });
});

describe('BridgingPreviewDialer', () => {
  it('reserves the owner, shows the preview, dials the customer and bridges to the owner; wrap-up after the call', async () => {
    fresh();
    const r = await dialer.offerToAgent('o1', cb('cb1'));
    expect(r.accepted).toBe(true);
    expect(r.callId).toBe(orig.calls[0].callId);
    expect(orig.requests[0]).toMatchObject({ to: '+8613800138000', callerId: '+861000000000', headers: { 'X-Callback-Id': 'cb1' } });
    expect(orig.calls[0].bridgedTo?.uri).toBe('sip:o1@127.0.0.1:5099');
    expect(bus.events.map((e) => [e.topic, e.event.type])).toEqual([['agent:o1', 'callback-preview'], ['agent:o1', 'callback-preview-result']]);
    expect(bus.events[0].event).toMatchObject({ callbackId: 'cb1', phone: '+8613800138000', note: 'renewal' });
    expect(await state('o1')).toBe('on-call');
    orig.calls[0].callerHangup();
    await expect.poll(() => state('o1'), { timeout: 2000 }).toBe('available');
  });

  it('is not accepted when the owner cannot be reserved or has no registered phone (nothing dialled)', async () => {
    fresh();
    expect(await dialer.offerToAgent('o3', cb('cb2'))).toEqual({ accepted: false });
    expect(await dialer.offerToAgent('o2', cb('cb3'))).toEqual({ accepted: false });
    expect(await state('o2')).toBe('available'); // reservation given back
    expect(orig.requests).toHaveLength(0);
  });

  it('customer does not answer: the owner is released and told', async () => {
    fresh();
    orig.next = 'no-answer';
    expect(await dialer.offerToAgent('o1', cb('cb4'))).toEqual({ accepted: true });
    expect(await state('o1')).toBe('available');
    expect(bus.events.at(-1)?.event).toMatchObject({ type: 'callback-preview-result', outcome: 'no-answer' });
  });

  it("owner's phone does not answer: the customer is hung up and the owner released", async () => {
    fresh();
    orig.agentLeg = () => ({ outcome: 'no-answer', afterMs: 5 });
    const r = await dialer.offerToAgent('o1', cb('cb5'));
    expect(r.accepted).toBe(true);
    expect(orig.calls[0].ended).toBe(true);
    expect(await state('o1')).toBe('available');
    expect(bus.events.at(-1)?.event).toMatchObject({ outcome: 'agent-no-answer' });
  });
});
