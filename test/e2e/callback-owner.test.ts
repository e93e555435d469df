import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { startEngine, type RunningEngine } from '../../src/sip/engine/engine.js';
import { startCallControl, type CallControl } from '../../src/calls/call-control.js';
import { startMediaServices, type MediaServices } from '../../src/media/media-services.js';
import { EventBus, type BusEvent } from '../../src/events/bus.js';
import { AgentStore } from '../../src/agents/agent-store.js';
import { AgentDirectory } from '../../src/agents/agent-directory.js';
import { AgentStateService } from '../../src/agents/agent-state.js';
import { PauseCodeStore } from '../../src/agents/pause-codes.js';
import { createDialerServices } from '../../src/dialer/services.js';
import { bullConnection, createSchedulerServices, startSchedulerWorkers, type RunningScheduler, type SchedulerServices } from '../../src/scheduler/workers.js';
import { OwnerPreviewDialer } from '../../src/scheduler/preview-dialer.js';
import { schedulerDialGuard } from '../../src/wiring/dial-guard.js';
import { acdAgentAvailability } from '../../src/wiring/agent-availability.js';
import { callingWindowsSchema } from '../../src/compliance/calling-window.js';
import { startRtpengine, type RtpengineInstance } from '../support/rtpengine.js';
import { startBaresip, type Baresip } from '../support/baresip.js';
import { runSipp, sippErrors, sippListening, type SippRun } from '../support/sipp-calls.js';
import { freePort } from '../support/ports.js';
import { REDIS_URL, testRedis } from '../support/redis.js';
import { audibleStats, toneUlaw, toneWav } from './calls/stack.js';

/**
 * Done-when of the scheduler issue: a callback dials its owner agent at due time, on real SIP and RTP.
 * BullMQ fires the job, the real compliance DialGuard lets it through, the owner (baresip, registered with digest
 * auth, available) is reserved, gets the masked offer on `agent:<id>`, their phone rings and auto-answers, then the
 * customer (sipp UAS behind the trunk template) is dialled from the owner's leg and bridged: the owner hears the
 * customer. The callback ends 'done' exactly once and no rtpengine session is left behind.
 */
const PHONE = '+447911123456';
const CALLBACK_SCOPE = 'callbacks';
const log = pino({ level: process.env.E2E_LOG_LEVEL ?? 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'cb-owner-e2e-'));
const r = testRedis();
let sub: Redis;
let bus: EventBus;
let rtpe: RtpengineInstance;
let media: MediaServices;
let engine: RunningEngine;
let calls: CallControl;
let sched: SchedulerServices;
let customer: SippRun;
let agentPhone: Baresip | undefined;
const agents = new AgentStore(r.redis, r.keys);
const directory = new AgentDirectory(r.redis, r.keys);
let agentState: AgentStateService;
const events: { topic: string; event: BusEvent }[] = [];
const stopSchedulers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  sub = new Redis(REDIS_URL);
  bus = new EventBus(r.redis, sub, r.keys);
  await bus.onEvent((topic, event) => events.push({ topic, event }));
  agentState = new AgentStateService({ redis: r.redis, keys: r.keys, bus, pauseCodes: new PauseCodeStore(r.redis, r.keys) });

  rtpe = await startRtpengine({ ports: 60 });
  mkdirSync(join(dir, 'prompts'));
  media = await startMediaServices({
    redis: r.redis, keys: r.keys, log, rtpengine: { host: '127.0.0.1', port: rtpe.ngPort }, dtmfPort: rtpe.dtmfPort,
    spoolDir: rtpe.spoolDir, recordingsDir: join(dir, 'recordings'), promptsDir: join(dir, 'prompts'),
  });
  const secret = 'cb-e2e-secret';
  engine = await startEngine({ controlHost: '127.0.0.1', controlPort: await freePort(), secret, sipHost: '127.0.0.1', sipPort: await freePort(), log });

  const tone = await toneUlaw(join(dir, 'customer.ul'), 600, 20);
  customer = await runSipp({ scenario: join(import.meta.dirname, 'calls/sipp/uas-answer-talk.xml'), vars: { TONE: tone }, timeoutS: 40 });
  await sippListening(customer);

  calls = await startCallControl({
    log,
    drachtio: { host: '127.0.0.1', port: engine.controlPort, secret },
    media: media.mediaFactory,
    registrar: { realm: '127.0.0.1', nonceSecret: 'cb-e2e-nonce', credentials: agents, sink: directory },
    didRouter: { handlerFor: () => null },
    outbound: { trunkUriTemplate: `sip:{number}@127.0.0.1:${customer.port}`, allowedPrefixes: ['+44'] },
    defaultRingTimeoutMs: 10_000,
  });
  for (const c of calls.readiness) await c.check();

  ({ sched } = await startScheduler());
}, 30_000);

/** Scheduler services + worker on a private BullMQ prefix; `trunk` overrides call control's trunk for callbacks. */
async function startScheduler(trunk?: string): Promise<{ sched: SchedulerServices; worker: RunningScheduler }> {
  const connection = bullConnection(REDIS_URL);
  const s = createSchedulerServices({ redis: r.redis, keys: r.keys, connection, prefix: `tbull-cb-${randomUUID().slice(0, 8)}`, bus });
  const dialer = createDialerServices({ redis: r.redis, keys: r.keys, log });
  // Real compliance (DNC, caps, windows) with a window open all day, so the test does not depend on the clock.
  const allDay = callingWindowsSchema.parse({ weekdays: [{ start: '00:00', end: '24:00' }], weekends: [{ start: '00:00', end: '24:00' }], blackouts: [] });
  const w = await startSchedulerWorkers({
    services: s, connection, log, bus,
    dialGuard: schedulerDialGuard({
      policy: dialer.policy, campaigns: dialer.campaigns, portfolios: s.paymentStore,
      defaultScope: { id: CALLBACK_SCOPE, callingWindows: allDay, allowedPrefixes: ['+44'] },
    }),
    agents: acdAgentAvailability({ agentState, directory }),
    preview: new OwnerPreviewDialer({
      agentState, directory, calls: calls.originator, bus, log, callerId: '+442000000000',
      agentRingTimeoutMs: 8000, customerRingTimeoutMs: 8000, autoWrapMs: 300, ...(trunk ? { trunk } : {}),
    }),
    callbackOptions: { defaultScope: CALLBACK_SCOPE, maxAttempts: 2, retryBackoffMs: [60_000] },
  });
  stopSchedulers.push(async () => {
    await w.stop();
    await s.queue.queue.obliterate({ force: true }).catch(() => undefined);
    await s.close();
  });
  return { sched: s, worker: w };
}

afterAll(async () => {
  await agentPhone?.stop(); // before the registrar goes (baresip waits to un-register)
  if (customer && customer.proc.child.exitCode === null) await customer.proc.stop('SIGTERM', 2000);
  for (const stop of stopSchedulers) await stop();
  await calls?.stop();
  await engine?.stop();
  await media?.stop();
  await rtpe?.stop();
  await bus?.close();
  sub?.disconnect();
  await r.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('a due callback dials its owner agent (real SIP + RTP)', () => {
  it('rings the owner, who answers; dials the customer and bridges them; done exactly once; nothing leaks', async () => {
    await agents.upsert({ id: 'A1', name: 'Agent One', sipUsername: 'agent1', sipPassword: 'agent1-sip-secret', skills: {}, queues: [] });
    agentPhone = await startBaresip({ user: 'agent1', password: 'agent1-sip-secret', server: `127.0.0.1:${engine.sipPort}`, audioFile: await toneWav(join(dir, 'agent.wav'), 400, 20) });
    await agentPhone.waitEvent('REGISTER_OK', 10_000);
    expect(await directory.contactFor('A1')).toMatch(/^sip:agent1\S*@127\.0\.0\.1:\d+/);
    await agentState.request('A1', 'available');

    const dueAt = Date.now() + 2000;
    const { callback } = await sched.callbacks.create({
      phone: PHONE, timezone: 'Europe/London', leadId: 'L-1', ownerAgentId: 'A1', ownerOnly: true, dueAt, note: 'renewal question', source: 'agent', createdBy: 'A1',
    });

    // the owner's phone rings (from us, with the callback id) and auto-answers: not before the due time
    // (baresip 1.0 in auto-answer mode reports the incoming INVITE's SDP, then CALL_ESTABLISHED)
    const answered = await agentPhone.waitEvent('CALL_ESTABLISHED', 15_000);
    expect(Date.now()).toBeGreaterThanOrEqual(dueAt - 150);
    expect(answered).toMatchObject({ direction: 'incoming', peeruri: expect.stringContaining('+442000000000@') });
    // then the customer is dialled through the trunk and answers (sipp); both legs up and bridged
    await expect.poll(async () => (await sched.callbacks.get(callback.id))?.status, { timeout: 10_000 }).toBe('done');
    const st = await agentState.get('A1');
    expect(st.state).toBe('on-call');
    expect(calls.registry.counts().active).toBe(1);
    const sessions = await media.client.list();
    expect(sessions).toEqual([st.callId]);

    const mine = events.filter((e) => e.topic === 'agent:A1' && e.event.callbackId === callback.id).map((e) => e.event);
    expect(mine.map((e) => e.type)).toEqual(expect.arrayContaining(['callback.created', 'callback.due', 'callback.offer', 'callback.offer-result']));
    const offer = mine.find((e) => e.type === 'callback.offer')!;
    expect(offer).toMatchObject({ agentId: 'A1', leadId: 'L-1', note: 'renewal question', phone: '+********3456' });
    expect(mine.find((e) => e.type === 'callback.offer-result')).toMatchObject({ outcome: 'connected', callId: st.callId });
    expect(JSON.stringify(events)).not.toContain('7911123456');

    // let audio flow both ways, then the owner hangs up: the customer gets BYE
    await new Promise((res) => setTimeout(res, 2000));
    await agentPhone.command('hangup');
    expect(await customer.done, sippErrors(customer)).toBe(0);
    await expect.poll(async () => (await agentState.get('A1')).state, { timeout: 3000 }).toBe('available');
    // the owner's states for this callback: reserved (offer), on-call (answered), wrap-up (hang-up), available (auto wrap)
    const states = (await agentState.history('A1', 10)).map((t) => t.state).reverse();
    expect(states.slice(-4)).toEqual(['reserved', 'on-call', 'wrap-up', 'available']);
    expect(await media.client.list()).toEqual([]);
    expect(calls.registry.counts().active).toBe(0);

    const done = (await sched.callbacks.get(callback.id))!;
    expect(done.status).toBe('done');
    expect(done.attempts).toBe(1);
    expect(done.history.filter((h) => h.event === 'done')).toHaveLength(1);
    expect(done.history.map((h) => h.event)).toEqual(['created', 'done']);
    // the job ran once and nothing is left scheduled for it
    expect((await sched.queue.queue.getDelayed()).filter((j) => j.data.callbackId === callback.id)).toHaveLength(0);

    // the owner heard the customer's 600 Hz tone through rtpengine (dumps are flushed when baresip quits)
    await agentPhone.stop();
    const heard = agentPhone.dumps().find((f) => f.endsWith('-dec.wav'));
    agentPhone = undefined;
    expect(heard).toBeDefined();
    const stats = await audibleStats(heard!, join(dir, 'owner-heard.wav'));
    expect(Math.abs(stats.freq - 600)).toBeLessThan(60);
    expect(stats.seconds).toBeGreaterThan(1);
  }, 40_000);

  it('customer busy: the owner answers, the customer leg gets 486, the owner is released and the callback is retried later', async () => {
    await agents.upsert({ id: 'A2', name: 'Agent Two', sipUsername: 'agent2', sipPassword: 'agent2-sip-secret', skills: {}, queues: [] });
    const phone2 = await startBaresip({ user: 'agent2', password: 'agent2-sip-secret', server: `127.0.0.1:${engine.sipPort}`, audioFile: join(dir, 'agent.wav') });
    try {
      await phone2.waitEvent('REGISTER_OK', 10_000);
      await agentState.request('A2', 'available');
      const busy = await runSipp({ scenario: join(import.meta.dirname, 'calls/sipp/uas-busy.xml'), timeoutS: 20 });
      await sippListening(busy);
      const { sched: s2 } = await startScheduler(`sip:{number}@127.0.0.1:${busy.port}`);
      const { callback } = await s2.callbacks.create({
        phone: '+447911000222', timezone: 'Europe/London', ownerAgentId: 'A2', ownerOnly: true, dueAt: Date.now() + 500, source: 'agent', createdBy: 'A2',
      });
      await phone2.waitEvent('CALL_ESTABLISHED', 10_000);
      expect(await busy.done, sippErrors(busy)).toBe(0);
      await expect.poll(async () => (await s2.callbacks.get(callback.id))?.history.at(-1)?.event, { timeout: 8000 }).toBe('retry');
      const cb = (await s2.callbacks.get(callback.id))!;
      expect(cb).toMatchObject({ status: 'scheduled', attempts: 1 });
      expect(cb.history.at(-1)?.detail).toBe('owner dialled: customer busy');
      expect(cb.dueAt).toBeGreaterThan(Date.now() + 50_000);
      await phone2.waitEvent('CALL_CLOSED', 5000);
      await expect.poll(async () => (await agentState.get('A2')).state, { timeout: 3000 }).toBe('available');
      const result = events.find((e) => e.topic === 'agent:A2' && e.event.type === 'callback.offer-result' && e.event.callbackId === callback.id);
      expect(result?.event).toMatchObject({ outcome: 'busy' });
      await expect.poll(() => media.client.list(), { timeout: 3000 }).toEqual([]);
      expect(calls.registry.counts().active).toBe(0);
    } finally {
      await phone2.stop();
    }
  }, 30_000);
});
