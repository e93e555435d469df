import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL } from '../../support/redis.js';
import {
  FakeAgents, FakeAnyAgent, FakeBus, FakeDialGuard, FakePreview, silentLog, testScheduler, waitFor,
} from '../../support/scheduler-fakes.js';
import { bullConnection, startSchedulerWorkers, type RunningScheduler } from '../../../src/scheduler/workers.js';

const t = testScheduler({ dueSoonMs: 400 });
const { s } = t;
const dialGuard = new FakeDialGuard();
const agents = new FakeAgents();
const preview = new FakePreview();
const anyAgent = new FakeAnyAgent();
const bus = new FakeBus();
let run: RunningScheduler;

beforeAll(async () => {
  run = await startSchedulerWorkers({
    services: s, connection: bullConnection(REDIS_URL), log: silentLog, dialGuard, bus, agents, preview, anyAgent,
    callbackOptions: { ownerWaitMs: 700, ownerRecheckMs: 200, maxAttempts: 2, retryBackoffMs: [200] },
  });
});
afterAll(async () => {
  await run?.stop();
  await t.cleanup();
});

const status = (id: string, want: string) => waitFor(async () => (await s.callbacks.get(id))?.status === want, 8000, `callback ${id} ${want}`);

describe('callbacks', () => {
  it('same idempotency key -> same callback and one job', async () => {
    const input = { phone: '+8613800138000', timezone: 'Asia/Shanghai', dueAt: Date.now() + 3600_000, source: 'api' as const, createdBy: 'api', idempotencyKey: 'req-42' };
    const a = await s.callbacks.create(input);
    const b = await s.callbacks.create(input);
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.callback.id).toBe(a.callback.id);
    const delayed = await s.queue.queue.getDelayed();
    expect(delayed.filter((j) => j.data.callbackId === a.callback.id && j.name === 'callback-due')).toHaveLength(1);
    await s.callbacks.cancel(a.callback.id, 'test');
    expect((await s.queue.queue.getDelayed()).filter((j) => j.data.callbackId === a.callback.id)).toHaveLength(0);
  });

  it('announces due-soon and due on agent:<owner>, then previews to the available owner', async () => {
    agents.available.add('a1');
    const { callback } = await s.callbacks.create({ phone: '+8613800138001', timezone: 'Asia/Shanghai', ownerAgentId: 'a1', ownerOnly: true, dueAt: Date.now() + 900, source: 'agent', createdBy: 'a1' });
    await status(callback.id, 'offered');
    const mine = bus.events.filter((e) => e.event.callbackId === callback.id);
    expect(mine.map((e) => `${e.topic} ${e.event.type}`)).toEqual(['agent:a1 callback.due-soon', 'agent:a1 callback.due']);
    expect(preview.offers.find((o) => o.cb.callbackId === callback.id)?.agentId).toBe('a1');
    expect(anyAgent.calls.find((c) => c.callbackId === callback.id)).toBeUndefined();
    agents.available.delete('a1');
  });

  it('outside the calling window: moves to the next allowed time, then dials', async () => {
    const next = Date.now() + 600;
    dialGuard.answers.push({ allowed: false, reason: 'outside-calling-window', nextAllowedAt: next });
    const { callback } = await s.callbacks.create({ phone: '+8613800138002', timezone: 'Asia/Shanghai', dueAt: Date.now() + 100, source: 'api', createdBy: 'api' });
    await status(callback.id, 'done');
    const cb = (await s.callbacks.get(callback.id))!;
    expect(cb.history.map((h) => h.event)).toEqual(['created', 'deferred', 'done']);
    expect(cb.dueAt).toBe(next);
    expect(anyAgent.calls.filter((c) => c.callbackId === callback.id)).toHaveLength(1);
  });

  it('owner-only with a busy owner waits up to ownerWaitMs, then goes to any agent', async () => {
    const { callback } = await s.callbacks.create({ phone: '+8613800138003', timezone: 'Asia/Shanghai', ownerAgentId: 'a2', ownerOnly: true, dueAt: Date.now() + 100, source: 'agent', createdBy: 'a2' });
    await status(callback.id, 'done');
    const cb = (await s.callbacks.get(callback.id))!;
    const waits = cb.history.filter((h) => h.event === 'waiting-owner').length;
    expect(waits).toBeGreaterThanOrEqual(2);
    expect(cb.history.at(-1)?.event).toBe('done');
    expect(anyAgent.calls.filter((c) => c.callbackId === callback.id)).toHaveLength(1);
    expect(bus.events.filter((e) => e.event.callbackId === callback.id && e.event.type === 'callback.due')).toHaveLength(1);
  });

  it('DNC without expiry blocks; no answer retries then fails', async () => {
    dialGuard.answers.push({ allowed: false, reason: 'dnc-global' });
    const blocked = (await s.callbacks.create({ phone: '+8613800138004', timezone: 'Asia/Shanghai', dueAt: Date.now(), source: 'api', createdBy: 'api' })).callback;
    await status(blocked.id, 'blocked');
    anyAgent.outcomes.push({ outcome: 'no-answer' }, { outcome: 'no-answer' });
    const nobody = (await s.callbacks.create({ phone: '+8613800138005', timezone: 'Asia/Shanghai', dueAt: Date.now(), source: 'api', createdBy: 'api' })).callback;
    await status(nobody.id, 'failed');
    const cb = (await s.callbacks.get(nobody.id))!;
    expect(cb.attempts).toBe(2);
    expect(cb.history.map((h) => h.event)).toEqual(['created', 'retry', 'failed']);
  });

  it('reschedule replaces the job; cancel removes it and nothing fires', async () => {
    const { callback } = await s.callbacks.create({ phone: '+8613800138006', timezone: 'Asia/Shanghai', ownerAgentId: 'a3', dueAt: Date.now() + 3600_000, source: 'api', createdBy: 'api' });
    const later = Date.now() + 7200_000;
    const moved = await s.callbacks.reschedule(callback.id, later, 'sup');
    expect(moved.dueAt).toBe(later);
    const jobs = (await s.queue.queue.getDelayed()).filter((j) => j.data.callbackId === callback.id);
    expect(jobs.map((j) => j.name).sort()).toEqual(['callback-due', 'callback-due-soon']);
    expect(jobs.every((j) => j.id!.includes(String(later)))).toBe(true);
    const soon = await s.callbacks.reschedule(callback.id, Date.now() + 300, 'sup');
    await s.callbacks.cancel(callback.id, 'sup');
    await new Promise((r) => setTimeout(r, 800));
    expect((await s.callbacks.get(callback.id))!.status).toBe('cancelled');
    expect(anyAgent.calls.find((c) => c.callbackId === soon.id)).toBeUndefined();
    expect(await s.callbacks.list({ agentId: 'a3' })).toHaveLength(1);
  });

  it('IVR and queue requests: one callback per call id', async () => {
    const a = await s.callbacks.requestCallback({ phone: '+8613800138007', queueId: 'sales', callId: 'call-1', reason: 'exit-key', when: new Date(Date.now() + 3600_000) });
    const b = await s.callbacks.requestCallback({ phone: '+8613800138007', queueId: 'sales', callId: 'call-1', reason: 'exit-key', when: new Date(Date.now() + 3600_000) });
    expect(b.id).toBe(a.id);
    const cb = (await s.callbacks.get(a.id))!;
    expect(cb.timezone).toBe('Asia/Shanghai');
    expect(cb.source).toBe('queue');
  });

  it('agent disposition "callback": owner-only, one callback however often the disposition is re-sent', async () => {
    const d = { leadId: 'L7', phone: '13800138009', agentId: 'a7', callbackAt: Date.now() + 86_400_000, ownerOnly: true, callId: 'c-77', campaignId: 'camp1' };
    const a = await s.callbacks.fromDisposition(d);
    const b = await s.callbacks.fromDisposition(d);
    expect(b.id).toBe(a.id);
    expect(a).toMatchObject({ ownerAgentId: 'a7', ownerOnly: true, source: 'agent', campaignId: 'camp1', phone: '+8613800138009', status: 'scheduled' });
    expect(await s.callbacks.list({ leadId: 'L7' })).toHaveLength(1);
  });

  it('follow-up plan: one callback per step; closing the lead cancels the rest', async () => {
    const DAY = 24 * 3600_000;
    const { plan } = await s.plans.create({ leadId: 'L1', phone: '+8613800138008', ownerAgentId: 'a4', steps: [{ afterMs: 2 * DAY }, { afterMs: 7 * DAY, note: 'week' }], createdBy: 'a4', idempotencyKey: 'plan-L1' });
    const again = await s.plans.create({ leadId: 'L1', phone: '+8613800138008', ownerAgentId: 'a4', steps: [{ afterMs: 2 * DAY }, { afterMs: 7 * DAY }], createdBy: 'a4', idempotencyKey: 'plan-L1' });
    expect(again.plan.id).toBe(plan.id);
    expect(plan.steps).toHaveLength(2);
    expect(plan.steps[1].dueAt - plan.steps[0].dueAt).toBe(5 * DAY);
    const closed = await s.plans.closeLead('L1', 'completed', 'a4');
    expect(closed.cancelledCallbacks.sort()).toEqual(plan.steps.map((x) => x.callbackId).sort());
    expect((await s.plans.get(plan.id))!.status).toBe('completed');
    for (const st of plan.steps) expect((await s.callbacks.get(st.callbackId))!.status).toBe('cancelled');
  });
});

describe('agent feed', () => {
  it('changes are published to the owner topic without the phone; feed commands act on own callbacks only', async () => {
    const { CallbackFeed, callbackFeedMessageSchema } = await import('../../../src/scheduler/callback-feed.js');
    const { CallbackService } = await import('../../../src/scheduler/callback-service.js');
    const feedBus = new FakeBus();
    const svc = new CallbackService({ store: s.callbackStore, bus: feedBus });
    const { callback } = await svc.create({ phone: '+8613800138010', timezone: 'Asia/Shanghai', ownerAgentId: 'a8', dueAt: Date.now() + 2 * 3600_000, source: 'agent', createdBy: 'a8' });
    const feed = new CallbackFeed(svc);
    const list = await feed.handle({ sub: 'u8', role: 'agent', agentId: 'a8' }, callbackFeedMessageSchema.parse({ type: 'callbacks.list' }));
    expect('callbacks' in list && list.callbacks.map((c) => [c.id, c.phone])).toEqual([[callback.id, '+*********8010']]);
    await expect(feed.handle({ sub: 'u9', role: 'agent', agentId: 'a9' }, callbackFeedMessageSchema.parse({ type: 'callbacks.cancel', callbackId: callback.id }))).rejects.toThrow(/not found/);
    const due = new Date(Date.now() + 5 * 3600_000).toISOString();
    await feed.handle({ sub: 'u8', role: 'agent', agentId: 'a8' }, callbackFeedMessageSchema.parse({ type: 'callbacks.reschedule', callbackId: callback.id, dueAt: due }));
    await feed.handle({ sub: 'sup', role: 'supervisor' }, callbackFeedMessageSchema.parse({ type: 'callbacks.cancel', callbackId: callback.id }));
    expect(feedBus.events.map((e) => `${e.topic} ${e.event.type}`)).toEqual(['agent:a8 callback.created', 'agent:a8 callback.rescheduled', 'agent:a8 callback.cancelled']);
    expect(feedBus.events.every((e) => !('phone' in e.event))).toBe(true);
  });
});
