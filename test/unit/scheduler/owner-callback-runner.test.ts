import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL } from '../../support/redis.js';
import { FakeAgents, FakeAnyAgent, FakeBus, FakeDialGuard, silentLog, testScheduler, waitFor } from '../../support/scheduler-fakes.js';
import { bullConnection, startSchedulerWorkers, type RunningScheduler } from '../../../src/scheduler/workers.js';
import type { CallbackOffer, PreviewCustomerOutcome, PreviewDialer, PreviewHooks, PreviewResult } from '../../../src/scheduler/ports.js';

/** An agent-first preview dialer: the owner answers (or not), then it asks the runner before dialling the customer. */
class AgentFirstPreview implements PreviewDialer {
  offers: { agentId: string; cb: CallbackOffer }[] = [];
  /** per callback: scripted results, one per offer */
  script = new Map<string, ('agent-no-answer' | PreviewCustomerOutcome)[]>();
  dialled: string[] = [];
  async offerToAgent(agentId: string, cb: CallbackOffer, hooks: PreviewHooks = {}): Promise<PreviewResult> {
    this.offers.push({ agentId, cb });
    const next = this.script.get(cb.callbackId)?.shift() ?? 'connected';
    if (next === 'agent-no-answer') return { accepted: false };
    if (hooks.beforeCustomerDial && !(await hooks.beforeCustomerDial())) return { accepted: true, callId: 'leg', customer: 'not-dialled' };
    this.dialled.push(cb.callbackId);
    return { accepted: true, callId: `leg-${this.dialled.length}`, customer: next };
  }
}

const t = testScheduler();
const { s } = t;
const dialGuard = new FakeDialGuard();
const agents = new FakeAgents();
const preview = new AgentFirstPreview();
const anyAgent = new FakeAnyAgent();
const bus = new FakeBus();
let run: RunningScheduler;

beforeAll(async () => {
  agents.available.add('a1');
  run = await startSchedulerWorkers({
    services: s, connection: bullConnection(REDIS_URL), log: silentLog, dialGuard, bus, agents, preview, anyAgent,
    callbackOptions: { ownerWaitMs: 600, ownerRecheckMs: 200, maxAttempts: 2, retryBackoffMs: [200] },
  });
});
afterAll(async () => {
  await run?.stop();
  await t.cleanup();
});

const settled = (id: string, want: string) => waitFor(async () => {
  const cb = await s.callbacks.get(id);
  return cb?.status === want ? cb : undefined;
}, 8000, `callback ${id} ${want}`);
const create = (n: number, inMs = 50) =>
  s.callbacks.create({ phone: `+86138001390${n}`, timezone: 'Asia/Shanghai', ownerAgentId: 'a1', ownerOnly: true, dueAt: Date.now() + inMs, source: 'agent', createdBy: 'a1' }).then((r) => r.callback);

describe('callback runner with an agent-first preview dialer', () => {
  it('owner answers and the customer is bridged: done once, one attempt counted against the caps right before dialling', async () => {
    const cb = await create(10);
    const done = await settled(cb.id, 'done');
    expect(done.attempts).toBe(1);
    expect(done.history.map((h) => h.event)).toEqual(['created', 'done']);
    expect(done.history.at(-1)?.detail).toContain('owner a1');
    const checks = dialGuard.checks.filter((c) => c.target.phone === cb.phone);
    expect(checks.map((c) => c.consume)).toEqual([false, true]);
    expect(preview.dialled.filter((x) => x === cb.id)).toHaveLength(1);
    expect(bus.events.filter((e) => e.event.callbackId === cb.id).map((e) => `${e.topic} ${e.event.type}`)).toEqual(['agent:a1 callback.due']);
  });

  it('customer busy: retried after the backoff (the runner rules), then connected', async () => {
    const cb = await create(11);
    preview.script.set(cb.id, ['busy']);
    const done = await settled(cb.id, 'done');
    expect(done.history.map((h) => h.event)).toEqual(['created', 'retry', 'done']);
    expect(done.history[1].detail).toBe('owner dialled: customer busy');
    expect(done.attempts).toBe(2);
  });

  it('customer never answers: failed after maxAttempts', async () => {
    const cb = await create(12);
    preview.script.set(cb.id, ['no-answer', 'no-answer']);
    const failed = await settled(cb.id, 'failed');
    expect(failed.history.map((h) => h.event)).toEqual(['created', 'retry', 'failed']);
    expect(failed.attempts).toBe(2);
  });

  it('owner does not answer the preview: an owner-only callback waits for them (nothing dialled meanwhile)', async () => {
    const cb = await create(13);
    preview.script.set(cb.id, ['agent-no-answer', 'connected']);
    const done = await settled(cb.id, 'done');
    expect(done.history.map((h) => h.event)).toEqual(['created', 'waiting-owner', 'done']);
    expect(preview.offers.filter((o) => o.cb.callbackId === cb.id)).toHaveLength(2);
    expect(anyAgent.calls.find((c) => c.callbackId === cb.id)).toBeUndefined();
  });

  it('caps reached when the owner has answered: not dialled, deferred to the next allowed time', async () => {
    const cb = await create(14);
    const next = Date.now() + 400;
    dialGuard.answers.push({ allowed: true }, { allowed: false, reason: 'frequency-cap', nextAllowedAt: next });
    const done = await settled(cb.id, 'done');
    expect(done.history.map((h) => h.event)).toEqual(['created', 'deferred', 'done']);
    expect(done.history[1].detail).toBe('frequency-cap');
    expect(preview.dialled.filter((x) => x === cb.id)).toHaveLength(1);
  });

  it('a re-run after a crash mid-call (dial already claimed) rings nobody and counts an interrupted attempt', async () => {
    const cb = await create(15, 1000);
    const stored = await s.callbackStore.get(cb.id);
    // the claim a crashed worker left behind for this job
    await s.guard.commit(`${stored!.jobId}.dial`, []);
    const done = await settled(cb.id, 'done');
    expect(done.history.map((h) => h.event)).toEqual(['created', 'retry', 'done']);
    expect(done.history[1].detail).toBe('interrupted (restart during the call)');
    expect(preview.offers.filter((o) => o.cb.callbackId === cb.id)).toHaveLength(1);
  });
});
