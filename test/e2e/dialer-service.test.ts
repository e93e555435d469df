import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { startEngine, type RunningEngine } from '../../src/sip/engine/engine.js';
import { startCallControl, type CallControl } from '../../src/calls/call-control.js';
import { startMediaServices, type MediaServices } from '../../src/media/media-services.js';
import { createAcd, type Acd } from '../../src/queue/acd.js';
import { EventBus, type BusEvent } from '../../src/events/bus.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { createDialerManager, createDialerServices, type DialerServices } from '../../src/dialer/services.js';
import type { DialerManager } from '../../src/dialer/dialer-manager.js';
import type { DialerEvent } from '../../src/dialer/campaign-dialer.js';
import type { Campaign, CampaignInput } from '../../src/dialer/campaign.js';
import type { Originator } from '../../src/dialer/ports.js';
import { sipOriginator } from '../../src/dialer/adapters/sip-originator.js';
import { AcdAgentPool } from '../../src/dialer/adapters/acd-agent-pool.js';
import { importLeadsCsv } from '../../src/leads/csv-import.js';
import type { Lead } from '../../src/leads/lead.js';
import { freePort } from '../support/ports.js';
import { run, type Proc } from '../support/proc.js';
import { REDIS_URL, testRedis } from '../support/redis.js';
import { startRtpengine, type RtpengineInstance } from '../support/rtpengine.js';
import { startBaresip, type Baresip } from '../support/baresip.js';
import { RtpPeer, toneRatio } from '../support/rtp-peer.js';
import { audibleStats, toneUlaw, toneWav } from './calls/stack.js';

/**
 * The outbound dialer on real SIP and RTP (loopback): embedded SIP engine, private rtpengine, media services, the
 * ACD's agent store/state, two registered auto-answer baresip agents, and one sipp UAS playing the trunk's
 * customers (test/sipp/customer-mix.xml decides per called number). Two campaigns run at the same time:
 *  - progressive (agents A1, A2): answer, busy, no answer, slow answer, plus a DNC lead, a lead outside its
 *    calling window and a destination outside the allowed prefixes, which must never reach SIP;
 *  - predictive (agent A3, no phone): the agent goes on a break while the call rings, so the answered call finds
 *    no agent within the 2 s grace and gets the safe-harbor prompt (heard by the customer's RTP endpoint).
 */
const MIN = 60_000;
const HOUR = 60 * MIN;
const N = {
  answer: '+447911123411',
  busy: '+447911123422',
  noAnswer: '+447911123433',
  slow: '+447911123444',
  abandon: '+447911123455',
  dnc: '+447911123466',
  lateLocal: '+447911123477',
  tollFraud: '+33612345679',
} as const;
const SLOW_MS = 5000;
const TALK_MS = 3000;
const ABANDON_RING_MS = 2500;
const RING_TIMEOUT_MS = 15_000; // the schema's minimum (regulatory: ring at least 15 s)
const SAFE_HARBOR_HZ = 1000;
const AGENTS = [
  { id: 'A1', user: 'agent1', password: 'agent1-sip-secret' },
  { id: 'A2', user: 'agent2', password: 'agent2-sip-secret' },
];

/** A fixed-offset zone whose local time is around noon now, and one six hours away (outside a 10-14 window). */
function zones(now = Date.now()): { inWindow: string; outside: string } {
  const utcHour = new Date(now).getUTCHours();
  const off = 12 - utcHour; // -11 .. 12
  const outOff = off - 6 >= -12 ? off - 6 : off + 6;
  const zone = (o: number) => (o === 0 ? 'Etc/UTC' : o > 0 ? `Etc/GMT-${o}` : `Etc/GMT+${-o}`);
  return { inWindow: zone(off), outside: zone(outOff) };
}

interface CustomerSipp {
  proc: Proc;
  port: number;
  messageFile: string;
  done: Promise<number | null>;
  /** Request-URIs of every INVITE sipp received. */
  invites(): string[];
}

/** sipp UAS for the trunk, with a message trace so the test can list what was (and was not) dialed. */
async function startCustomers(dir: string, vars: Record<string, string>, calls: number): Promise<CustomerSipp> {
  const port = await freePort();
  const mediaPort = await freePort();
  let xml = readFileSync(join(import.meta.dirname, '../sipp/customer-mix.xml'), 'utf8');
  for (const [k, v] of Object.entries(vars)) xml = xml.replaceAll(`__${k}__`, v);
  const file = join(dir, 'customers.xml');
  writeFileSync(file, xml);
  const messageFile = join(dir, 'customers-msg.log');
  const proc = run('sipp', [
    '-sf', file, '-i', '127.0.0.1', '-p', String(port), '-mi', '127.0.0.1', '-mp', String(mediaPort), '-m', String(calls),
    '-nostdin', '-timeout', '55s', '-timeout_error', '-trace_msg', '-message_file', messageFile,
    '-trace_err', '-error_file', join(dir, 'customers-err.log'),
  ], { cwd: dir });
  const until = Date.now() + 5000;
  const hex = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  while (!readFileSync('/proc/net/udp', 'utf8').includes(hex)) {
    if (proc.child.exitCode !== null || Date.now() > until) throw new Error(`sipp did not start: ${proc.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    proc, port, messageFile, done: proc.exited,
    invites() {
      let text = '';
      try {
        text = readFileSync(messageFile, 'utf8');
      } catch {
        return [];
      }
      return [...text.matchAll(/^INVITE (\S+) SIP\/2\.0/gm)].map((m) => m[1]);
    },
  };
}

function errors(dir: string, c: CustomerSipp): string {
  try {
    return readFileSync(join(dir, 'customers-err.log'), 'utf8').slice(-3000);
  } catch {
    return c.proc.output().slice(-3000);
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const log = pino({ level: process.env.E2E_LOG_LEVEL ?? 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'dialer-e2e-'));
const redis = testRedis();
const pub = new Redis(REDIS_URL);
const sub = new Redis(REDIS_URL);
const bus = new EventBus(pub, sub, redis.keys);
const busEvents: { topic: string; ev: BusEvent }[] = [];
const dialerEvents: DialerEvent[] = [];
let rtpe: RtpengineInstance;
let engine: RunningEngine;
let media: MediaServices;
let acd: Acd;
let calls: CallControl;
let customers: CustomerSipp;
let peer: RtpPeer;
let dialer: DialerServices;
let dialers: DialerManager;
let originator: Originator;
const phones: Baresip[] = [];
const agentOf = new Map<Baresip, string>();
let zone: { inWindow: string; outside: string };
let progressive: Campaign;
let predictive: Campaign;
const leadOf = new Map<string, Lead>();

beforeAll(async () => {
  const customerTone = await toneUlaw(join(dir, 'customer.ul'), 600, 20);
  const agentTone = await toneWav(join(dir, 'agent.wav'), 400, 30);
  const safeHarbor = await toneWav(join(dir, 'safe-harbor.wav'), SAFE_HARBOR_HZ, 1.5);
  const prompts: Record<string, string> = { 'safe-harbor': safeHarbor, 'recording-notice': await toneWav(join(dir, 'notice.wav'), 1400, 0.5) };

  rtpe = await startRtpengine({ ports: 100 });
  media = await startMediaServices({
    redis: redis.redis, keys: redis.keys, log,
    rtpengine: { host: '127.0.0.1', port: rtpe.ngPort }, dtmfPort: rtpe.dtmfPort,
    spoolDir: rtpe.spoolDir, recordingsDir: join(dir, 'recordings'), promptsDir: join(dir, 'prompts'),
  });
  const secret = 'dialer-e2e-secret';
  engine = await startEngine({ controlHost: '127.0.0.1', controlPort: await freePort(), secret, sipHost: '127.0.0.1', sipPort: await freePort(), log });
  acd = createAcd({ redis: redis.redis, keys: redis.keys, bus, log, audit: new AuditLog(redis.redis, redis.keys), prompts: media.prompts });
  await acd.start();
  calls = await startCallControl({
    log,
    drachtio: { host: '127.0.0.1', port: engine.controlPort, secret },
    media: media.mediaFactory,
    registrar: { realm: '127.0.0.1', nonceSecret: 'dialer-e2e-nonce', credentials: acd.agents, sink: acd.directory },
    didRouter: { handlerFor: () => null },
    // Call control's own default: nothing reachable, and its own toll-fraud list.
    outbound: { trunkUriTemplate: 'sip:{number}@127.0.0.1:9', allowedPrefixes: ['+44'] },
  });
  for (const r of calls.readiness) await r.check();

  peer = await RtpPeer.open();
  // answer, busy, no answer, slow answer, abandon: five INVITEs and no more
  customers = await startCustomers(dir, {
    TONE: customerTone, TALK_MS: String(TALK_MS), SLOW_MS: String(SLOW_MS), ABANDON_RING_MS: String(ABANDON_RING_MS), PEER_PORT: String(peer.port),
  }, 5);

  dialer = createDialerServices({ redis: redis.redis, keys: redis.keys, log });
  const agentPool = new AcdAgentPool({
    agentState: acd.agentState, directory: acd.directory, bus, log, autoWrapMs: 500,
    agentsOf: async (campaignId) => (await dialer.campaigns.get(campaignId))?.agentIds ?? [],
  });
  originator = sipOriginator(calls.originator, { trunks: { 'trunk-a': `sip:{number}@127.0.0.1:${customers.port}` } });
  dialers = createDialerManager(dialer, {
    originator, agents: agentPool, log, instanceId: 'dialer-e2e',
    prompt: (name) => {
      const f = prompts[name];
      if (!f) throw new Error(`no prompt ${name}`);
      return f;
    },
    onEvent: (e) => {
      dialerEvents.push(e);
      void bus.publish(`campaign:${e.campaignId}`, { ...e, type: `dialer.${e.type}` });
    },
  });
  await bus.onEvent((topic, ev) => busEvents.push({ topic, ev }));

  for (const a of AGENTS) {
    expect(await acd.agents.upsert({ id: a.id, name: `Agent ${a.id}`, sipUsername: a.user, sipPassword: a.password, skills: {}, queues: [] })).toBe('created');
    const phone = await startBaresip({ user: a.user, password: a.password, server: `127.0.0.1:${engine.sipPort}`, audioFile: agentTone });
    phones.push(phone);
    agentOf.set(phone, a.id);
  }
  // A3 staffs the predictive campaign from a desk without a softphone: the abandon happens before any bridge.
  await acd.agents.upsert({ id: 'A3', name: 'Agent A3', sipUsername: 'agent3', sipPassword: 'agent3-sip-secret', skills: {}, queues: [] });
  for (const p of phones) await p.waitEvent('REGISTER_OK', 10_000);
  for (const a of AGENTS) expect(await acd.directory.contactFor(a.id)).toMatch(/^sip:/);
}, 40_000);

afterAll(async () => {
  await dialers?.stopAll();
  for (const p of phones) await p.stop().catch(() => undefined);
  if (customers && customers.proc.child.exitCode === null) await customers.proc.stop('SIGTERM', 2000);
  peer?.close();
  await calls?.stop();
  await engine?.stop();
  await acd?.stop();
  await media?.stop();
  await rtpe?.stop();
  await bus.close();
  pub.disconnect();
  sub.disconnect();
  await redis.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const common = (agentIds: string[]): Omit<CampaignInput, 'name' | 'dialMode'> => ({
  trunk: 'trunk-a', callerId: '+441632960000', agentIds, allowedPrefixes: ['+44'], defaultCountry: 'GB',
  ringTimeoutMs: RING_TIMEOUT_MS, abandonGraceMs: 2000,
  callingWindows: { weekdays: [{ start: '10:00', end: '14:00' }], weekends: [{ start: '10:00', end: '14:00' }], blackouts: [] },
  retry: { busyRetryMs: 7 * MIN, noAnswerRetryMs: 90 * MIN, rejectedRetryMs: HOUR, failedRetryMs: 30 * MIN, abandonCooldownMs: 72 * HOUR, dispositionRetryMs: 24 * HOUR, maxAttempts: 5 },
  recording: { mode: 'none', notice: false },
});

async function importLeads(c: Campaign, rows: { phone: string; name: string; tz: string }[]): Promise<void> {
  const csv = `phone,name,timezone,account\n${rows.map((r) => `${r.phone},${r.name},${r.tz},ACC-${r.phone.slice(-2)}`).join('\n')}\n`;
  const res = await importLeadsCsv(dialer.leads, { campaignId: c.id, defaultCountry: 'GB', defaultTimezone: zone.inWindow }, Readable.from([csv]));
  expect(res.rejected).toEqual([]);
  expect(res.imported).toBe(rows.length);
  for (const r of rows) leadOf.set(r.phone, (await dialer.leads.findByPhone(c.id, r.phone))!);
}

const lead = async (phone: string) => (await dialer.leads.get(leadOf.get(phone)!.id))!;
const eventsFor = (phone: string) => dialerEvents.filter((e) => e.leadId === leadOf.get(phone)?.id);

describe('service: outbound dialer over real SIP/RTP', () => {
  it('the dialer originator refuses a destination outside the allowed prefixes before any SIP or media', async () => {
    const r = await originator.originate({
      to: N.tollFraud, callerId: '+441632960000', trunk: 'trunk-a', ringTimeoutMs: RING_TIMEOUT_MS, campaignId: 'x', leadId: 'x', allowedPrefixes: ['+44'],
    });
    expect(r).toMatchObject({ outcome: 'failed', ringMs: expect.any(Number) });
    expect((r as { reason?: string }).reason).toMatch(/not within allowed prefixes/);
    expect(await media.client.list()).toEqual([]);
    expect(engine.agent.stats().dialogs).toBe(0);
  });

  it('runs a progressive and a predictive campaign to completion against the trunk', async () => {
    zone = zones();
    progressive = await dialer.campaigns.create({ name: 'Renewals', dialMode: 'progressive', ...common(['A1', 'A2']) });
    predictive = await dialer.campaigns.create({ name: 'Win-back', dialMode: 'predictive', ...common(['A3']) });
    await importLeads(progressive, [
      { phone: N.answer, name: 'Alice Answer', tz: zone.inWindow },
      { phone: N.busy, name: 'Bob Busy', tz: zone.inWindow },
      { phone: N.noAnswer, name: 'Nora Noanswer', tz: zone.inWindow },
      { phone: N.slow, name: 'Sam Slow', tz: zone.inWindow },
      { phone: N.dnc, name: 'Dan Dnc', tz: zone.inWindow },
      { phone: N.lateLocal, name: 'Lena Late', tz: zone.outside },
      { phone: N.tollFraud, name: 'Tom Toll', tz: zone.inWindow },
    ]);
    await importLeads(predictive, [{ phone: N.abandon, name: 'Abe Abandon', tz: zone.inWindow }]);
    await dialer.dnc.add({ phone: N.dnc, scope: 'global', reason: 'customer asked', source: 'manual' });
    for (const id of ['A1', 'A2', 'A3']) await acd.agentState.request(id, 'available');

    // A3 goes on a break while the predictive call rings: the answer finds nobody.
    const a3Break = until('the predictive dial', () => dialerEvents.some((e) => e.campaignId === predictive.id && e.type === 'dial'), 20_000)
      .then(() => acd.agentState.request('A3', 'paused', 'break'));
    await dialers.start(progressive.id);
    await dialers.start(predictive.id);
    await a3Break;

    const settled = (phone: string, type: DialerEvent['type']) => eventsFor(phone).some((e) => e.type === type);
    await until('every call to finish', () =>
      settled(N.answer, 'ended') && settled(N.slow, 'ended') && settled(N.busy, 'failed') && settled(N.noAnswer, 'failed') && settled(N.abandon, 'abandoned'), 45_000);
    await dialers.pause(progressive.id);
    await dialers.pause(predictive.id);
    expect(await customers.done, errors(dir, customers)).toBe(0);
  }, 60_000);

  it('answered calls (at once and after 5 s of ringing) are bridged to a baresip agent with a masked screen pop', async () => {
    for (const phone of [N.answer, N.slow]) {
      const ev = eventsFor(phone);
      const connected = ev.find((e) => e.type === 'connected');
      expect(connected, JSON.stringify(ev)).toBeDefined();
      const agentId = connected!.agentId!;
      expect(['A1', 'A2']).toContain(agentId);
      const l = await lead(phone);
      expect(l).toMatchObject({ status: 'wrap-up', attempts: 1, lastOutcome: 'connected' });
      const [att] = await dialer.leads.attempts(l.id);
      expect(att).toMatchObject({ outcome: 'connected', agentId, callId: connected!.callId });
      if (phone === N.slow) expect(att.ringMs).toBeGreaterThanOrEqual(SLOW_MS - 200);
      else expect(att.ringMs).toBeLessThan(SLOW_MS);
      expect(att.talkMs).toBeGreaterThan(TALK_MS - 1500);

      // screen pop on the agent's topic, with the number masked
      const pop = busEvents.find((b) => b.topic === `agent:${agentId}` && b.ev.type === 'screen-pop' && b.ev.leadId === l.id);
      expect(pop, `screen pop for ${agentId}`).toBeDefined();
      expect(pop!.ev).toMatchObject({ campaignId: progressive.id, callId: connected!.callId, name: l.name, phoneMasked: `+${'*'.repeat(8)}${phone.slice(-4)}`, fields: { account: `ACC-${phone.slice(-2)}` } });
      expect(JSON.stringify(pop!.ev)).not.toContain(phone.slice(1, -4));
      // the ACD state machine saw the agent reserved, on the call, then in wrap-up
      const states = busEvents.filter((b) => b.topic === `agent:${agentId}` && b.ev.type === 'agent-state').map((b) => b.ev.state);
      expect(states).toEqual(expect.arrayContaining(['reserved', 'on-call', 'wrap-up']));
    }
    // each bridged call reached a softphone: CALL_ESTABLISHED then CALL_CLOSED when the customer hung up
    const established = phones.flatMap((p) => p.events.filter((e) => e.type === 'CALL_ESTABLISHED').map(() => agentOf.get(p)));
    expect(established.sort()).toEqual(eventsFor(N.answer).concat(eventsFor(N.slow)).filter((e) => e.type === 'connected').map((e) => e.agentId).sort());
    for (const p of phones) {
      expect(p.events.filter((e) => e.type === 'CALL_CLOSED').length).toBe(p.events.filter((e) => e.type === 'CALL_ESTABLISHED').length);
    }
    // the agent heard the customer (600 Hz from sipp's RTP, relayed by rtpengine)
    const heard = phones.flatMap((p) => p.dumps().filter((f) => f.endsWith('-dec.wav')));
    expect(heard.length).toBeGreaterThan(0);
    const st = await audibleStats(heard[0], join(dir, 'heard.wav'));
    expect(Math.abs(st.freq - 600)).toBeLessThan(60);
    // auto wrap-up brought everyone back
    for (const id of ['A1', 'A2']) await until(`${id} available`, async () => (await acd.agentState.get(id)).state === 'available', 5000);
  });

  it('busy and no-answer are recorded with their outcomes and recycled per the campaign rules', async () => {
    const busy = await lead(N.busy);
    const [b] = await dialer.leads.attempts(busy.id);
    expect(busy).toMatchObject({ status: 'queued', attempts: 1, lastOutcome: 'busy' });
    expect(b.outcome).toBe('busy');
    expect(busy.nextAttemptAt).toBe(b.at + 7 * MIN);

    const na = await lead(N.noAnswer);
    const [n] = await dialer.leads.attempts(na.id);
    expect(na).toMatchObject({ status: 'queued', attempts: 1, lastOutcome: 'no-answer' });
    expect(n.outcome).toBe('no-answer');
    expect(n.ringMs).toBeGreaterThanOrEqual(RING_TIMEOUT_MS - 100);
    expect(na.nextAttemptAt).toBe(n.at + 90 * MIN);
    // the queue holds them at those times (not due now)
    expect(await dialer.leads.due(progressive.id, Date.now(), 10)).toEqual([]);
    expect(dialers.status(progressive.id)).toMatchObject({ dialed: 4, answered: 2, abandoned: 0 });
  });

  it('a predictive call answered with no free agent gets the safe-harbor prompt and counts as abandoned (72 h cooldown)', async () => {
    const ev = eventsFor(N.abandon);
    expect(ev.map((e) => e.type)).toEqual(['dial', 'answered', 'abandoned']);
    const l = await lead(N.abandon);
    const [att] = await dialer.leads.attempts(l.id);
    expect(att).toMatchObject({ outcome: 'abandoned', callId: ev[1].callId });
    expect(att.ringMs).toBeGreaterThanOrEqual(ABANDON_RING_MS - 200);
    expect(l).toMatchObject({ status: 'queued', attempts: 1, lastOutcome: 'abandoned', noCallBefore: att.at + 72 * HOUR, nextAttemptAt: att.at + 72 * HOUR });
    expect(dialers.status(predictive.id)).toMatchObject({ dialed: 1, answered: 1, abandoned: 1 });
    const totals = await dialer.callStats.totals(predictive.id, Date.now() - HOUR, Date.now() + MIN);
    expect(totals).toMatchObject({ answered: 1, abandoned: 1 });
    // the customer's RTP endpoint received the safe-harbor prompt from rtpengine
    const audio = peer.audio();
    expect(audio.length).toBeGreaterThan(8000); // > 1 s of the 1.5 s prompt
    expect(toneRatio(audio, SAFE_HARBOR_HZ)).toBeGreaterThan(0.5);
    // and no agent was ever connected to it
    expect(busEvents.some((b) => b.ev.type === 'screen-pop' && b.ev.leadId === l.id)).toBe(false);
  });

  it('DNC, outside-window and toll-fraud leads are refused with a logged reason and never reach the trunk', async () => {
    const invites = customers.invites();
    const dialed = invites.map((u) => /^sip:(\+\d+)@/.exec(u)?.[1]).sort();
    expect(dialed).toEqual([N.answer, N.busy, N.noAnswer, N.slow, N.abandon].sort());

    const refusals = await dialer.refusals.list(progressive.id);
    const reasonOf = (phone: string) => refusals.filter((r) => r.leadId === leadOf.get(phone)!.id).map((r) => r.reason);
    expect(reasonOf(N.dnc)).toEqual(['dnc-global']);
    expect(reasonOf(N.lateLocal)).toEqual(['outside-calling-window']);
    expect(reasonOf(N.tollFraud)).toEqual(['destination-not-allowed']);
    expect(await dialer.refusals.counts(progressive.id)).toEqual({ 'dnc-global': 1, 'outside-calling-window': 1, 'destination-not-allowed': 1 });

    expect(await lead(N.dnc)).toMatchObject({ status: 'dnc', attempts: 0 });
    expect(await lead(N.tollFraud)).toMatchObject({ status: 'exhausted', attempts: 0 });
    const late = await lead(N.lateLocal);
    expect(late).toMatchObject({ status: 'queued', attempts: 0 });
    // rescheduled to 10:00 in the lead's own zone
    const next = refusals.find((r) => r.leadId === late.id)!.nextAllowedAt!;
    expect(late.nextAttemptAt).toBe(next);
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: late.timezone, hour: '2-digit', minute: '2-digit' }).format(next)).toBe('10:00');
    for (const phone of [N.dnc, N.lateLocal, N.tollFraud]) expect(eventsFor(phone)).toEqual([]);
  });

  it('leaves no rtpengine session, call or SIP dialog behind', async () => {
    await until('calls to end', () => calls.registry.counts().active === 0 && engine.agent.stats().dialogs === 0, 5000);
    expect(await media.client.list()).toEqual([]);
    expect([...media.mediaFactory.activeCallIds()]).toEqual([]);
  });
});
