import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStore } from '../../../src/agents/agent-store.js';
import { AgentDirectory } from '../../../src/agents/agent-directory.js';
import { AgentStateService, TransitionError, UnknownPauseCodeError } from '../../../src/agents/agent-state.js';
import { PauseCodeStore } from '../../../src/agents/pause-codes.js';
import { ha1Of } from '../../../src/sip/digest.js';
import { testRedis } from '../../support/redis.js';

describe('agents: store, SIP credentials, registrations, states and daily time', () => {
  const r = testRedis();
  let clock = Date.parse('2026-11-22T10:00:00Z');
  const published: { topic: string; ev: { type: string; [k: string]: unknown } }[] = [];
  const bus = { publish: async (topic: string, ev: { type: string }) => void published.push({ topic, ev }) };
  const store = new AgentStore(r.redis, r.keys);
  const dir = new AgentDirectory(r.redis, r.keys, () => clock);
  const pauseCodes = new PauseCodeStore(r.redis, r.keys);
  const states = new AgentStateService({ redis: r.redis, keys: r.keys, bus, pauseCodes, now: () => clock, queuesOf: async (id) => (await store.get(id))?.queues ?? [] });
  beforeAll(async () => {
    await store.upsert({ id: 'a1', name: 'Ann', sipUsername: 'ann', sipPassword: 'ann-secret-1', skills: { en: 7 }, queues: ['sales', 'support'] });
    await store.upsert({ id: 'a2', name: 'Bob', sipUsername: 'bob', sipHa1: ha1Of('bob', 'cti', 'bob-secret'), skills: {}, queues: ['sales'] });
  });
  afterAll(async () => r.cleanup());

  it('stores agents with queue membership and serves SIP credentials to the registrar', async () => {
    expect(await store.lookup('ann')).toEqual({ agentId: 'a1', password: 'ann-secret-1' });
    expect(await store.lookup('bob')).toEqual({ agentId: 'a2', ha1: ha1Of('bob', 'cti', 'bob-secret') });
    expect(await store.lookup('nobody')).toBeNull();
    expect((await store.members('sales')).sort()).toEqual(['a1', 'a2']);
    // moving a1 out of support and renaming its SIP user
    await store.upsert({ id: 'a1', name: 'Ann', sipUsername: 'ann2', sipPassword: 'ann-secret-1', skills: { en: 7 }, queues: ['sales'] });
    expect(await store.members('support')).toEqual([]);
    expect(await store.lookup('ann')).toBeNull();
    expect(await store.lookup('ann2')).toMatchObject({ agentId: 'a1' });
    expect(await store.upsert({ id: 'a3', name: 'X', sipUsername: 'bob', sipPassword: 'whatever-pw', skills: {}, queues: [] })).toBe('conflict');
  });

  it('keeps registered contacts with expiry: the freshest live one is used', async () => {
    await dir.setRegistration('a1', 'sip:ann@127.0.0.1:5090', 60);
    await dir.setRegistration('a1', 'sip:ann@127.0.0.1:5091', 300);
    expect(await dir.contactFor('a1')).toBe('sip:ann@127.0.0.1:5091');
    await dir.setRegistration('a1', 'sip:ann@127.0.0.1:5091', 0);
    expect(await dir.contactFor('a1')).toBe('sip:ann@127.0.0.1:5090');
    clock += 61_000;
    expect(await dir.contactFor('a1')).toBeNull();
    await dir.setRegistration('a1', 'sip:ann@127.0.0.1:5090', 120);
    const ttl = await r.redis.pttl(r.keys.k('reg', 'a1'));
    expect(ttl).toBeGreaterThan(0);
    await dir.clearRegistrations('a1');
    expect(await dir.contactFor('a1')).toBeNull();
  });

  it('validates requested states and pause reasons against the configurable list', async () => {
    expect((await pauseCodes.list()).map((c) => c.code)).toContain('lunch');
    await expect(states.request('a2', 'paused', 'nap')).rejects.toBeInstanceOf(UnknownPauseCodeError);
    await pauseCodes.replace([{ code: 'nap', label: 'Power nap' }]);
    expect((await pauseCodes.list()).map((c) => c.code)).toEqual(['nap', 'auto-unanswered', 'not-registered']);
    await states.request('a2', 'paused', 'nap');
    expect(await states.get('a2')).toMatchObject({ state: 'paused', reason: 'nap' });
    await states.transition('a2', 'reserved', { from: ['paused'] });
    await expect(states.request('a2', 'logged-out')).rejects.toBeInstanceOf(TransitionError);
    await states.transition('a2', 'logged-out');
  });

  it('accumulates idle, ring, talk, hold, wrap and pause time per agent per day; every transition is an event', async () => {
    published.length = 0;
    await states.request('a1', 'available'); // login
    clock += 5_000;
    await states.transition('a1', 'reserved', { from: ['available'] });
    clock += 2_000;
    await states.transition('a1', 'on-call', { from: ['reserved'], unanswered: 'reset' });
    clock += 10_000;
    await states.holdChanged('a1', true);
    clock += 3_000;
    await states.holdChanged('a1', false);
    clock += 7_000;
    await states.transition('a1', 'wrap-up', { from: ['on-call'] });
    clock += 4_000;
    await states.request('a1', 'paused', 'nap');
    clock += 60_000;
    await states.request('a1', 'logged-out');
    const t = await states.dayTotals('a1', '2026-11-22');
    expect(t).toEqual({ day: '2026-11-22', idleMs: 5000, ringMs: 2000, talkMs: 20_000, holdMs: 3000, wrapMs: 4000, pauseMs: 60_000, calls: 1, missed: 0 });
    const ev = published.filter((p) => p.ev.type === 'agent-state');
    expect(ev.map((e) => `${e.ev.prev}>${e.ev.state}`)).toEqual([
      'logged-out>available', 'available>reserved', 'reserved>on-call', 'on-call>wrap-up', 'wrap-up>paused', 'paused>logged-out',
    ]);
    expect(ev[1].ev).toMatchObject({ prevDurationMs: 5000, queues: ['sales'] });
    expect(ev.every((e) => e.topic === 'agent:a1' && typeof e.ev.at === 'string' && typeof e.ev.atMs === 'number')).toBe(true);
    expect(published.filter((p) => p.ev.type === 'hold' || p.ev.type === 'unhold')).toHaveLength(2);
    const history = await states.history('a1');
    expect(history[0]).toMatchObject({ prev: 'paused', state: 'logged-out', prevDurationMs: 60_000 });
    expect(await r.redis.zscore(states.availableKey, 'a1')).toBeNull();
  });

  it('asking again for the current state changes nothing (longest-idle keeps the agent\'s place)', async () => {
    await states.request('a2', 'available');
    const before = await states.get('a2');
    clock += 10_000;
    const again = await states.request('a2', 'available');
    expect(again).toMatchObject({ prev: 'available', state: 'available', prevDurationMs: 0 });
    expect((await states.get('a2')).since).toBe(before.since);
    expect(await r.redis.zscore(states.availableKey, 'a2')).toBe(String(before.since));
    await states.request('a2', 'logged-out');
  });

  it('a call id guards transitions: recorded when the agent takes a call, another call\'s id is refused', async () => {
    await states.request('a2', 'available');
    await states.transition('a2', 'reserved', { from: ['available'], reason: 'dialer:c1' });
    expect(await states.tryTransition('a2', 'on-call', { from: ['reserved'], callId: 'call-1' })).toMatchObject({ state: 'on-call' });
    expect(await states.get('a2')).toMatchObject({ state: 'on-call', callId: 'call-1' });
    expect(await states.tryTransition('a2', 'wrap-up', { callId: 'call-2' })).toEqual({ error: 'bad-transition', current: 'on-call' });
    expect(await states.tryTransition('a2', 'wrap-up', { callId: 'call-1' })).toMatchObject({ state: 'wrap-up' });
    expect(await states.tryTransition('a2', 'available', { from: ['wrap-up'], callId: 'call-1' })).toMatchObject({ state: 'available' });
    expect((await states.get('a2')).callId).toBeUndefined();
    await states.request('a2', 'logged-out');
  });

  it('an agent on hold when the call ends gets the hold closed at the transition', async () => {
    await states.request('a1', 'available');
    await states.transition('a1', 'on-call');
    await states.holdChanged('a1', true);
    clock += 1500;
    await states.transition('a1', 'available');
    expect((await states.dayTotals('a1', '2026-11-22')).holdMs).toBe(4500);
  });
});

describe('the SIP registrar wired to the agent store and directory', () => {
  it('a softphone REGISTERs with digest auth against the agent\'s credentials and becomes the contact the ACD rings', async () => {
    const { pino } = await import('pino');
    const { Registrar } = await import('../../../src/sip/registrar.js');
    const { md5, parseAuthorization } = await import('../../../src/sip/digest.js');
    const r = testRedis();
    try {
      const store = new AgentStore(r.redis, r.keys);
      const dir = new AgentDirectory(r.redis, r.keys);
      await store.upsert({ id: 'a7', name: 'Seven', sipUsername: 'seven', sipPassword: 'seven-secret', skills: {}, queues: [] });
      const registrar = new Registrar({ realm: 'cti.test', nonceSecret: 'n', credentials: store, sink: dir, log: pino({ level: 'silent' }) });
      const sent: { status: number; headers: Record<string, string> }[] = [];
      const res = { send: (status: number, _reason: string, o: { headers?: Record<string, string> }) => void sent.push({ status, headers: o.headers ?? {} }) };
      const req = (h: Record<string, string>) => {
        const lower = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
        return { method: 'REGISTER', uri: 'sip:cti.test', source_address: '127.0.0.1', get: (n: string) => lower[n.toLowerCase()], has: (n: string) => n.toLowerCase() in lower };
      };
      const base = { To: '<sip:seven@cti.test>', From: '<sip:seven@cti.test>;tag=1', 'Call-ID': 'reg-1', Contact: '<sip:seven@127.0.0.1:5090>', Expires: '300' };
      await registrar.handle(req(base), res);
      expect(sent[0].status).toBe(401);
      const c = parseAuthorization(sent[0].headers['WWW-Authenticate'])!;
      const ha1 = md5('seven:cti.test:seven-secret');
      const response = md5(`${ha1}:${c.nonce}:00000001:xyz:auth:${md5('REGISTER:sip:cti.test')}`);
      const auth = `Digest username="seven", realm="cti.test", nonce="${c.nonce}", uri="sip:cti.test", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="xyz"`;
      await registrar.handle(req({ ...base, Authorization: auth }), res);
      expect(sent[1].status).toBe(200);
      expect(await dir.contactFor('a7')).toBe('sip:seven@127.0.0.1:5090');
      // un-REGISTER (Expires: 0) removes the binding
      await registrar.handle(req({ ...base, Expires: '0', Authorization: auth }), res);
      expect(await dir.contactFor('a7')).toBeNull();
    } finally {
      await r.cleanup();
    }
  });
});
