import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { testRedis } from '../../support/redis.js';
import { AgentStateService } from '../../../src/agents/agent-state.js';
import { AgentDirectory } from '../../../src/agents/agent-directory.js';
import { PauseCodeStore } from '../../../src/agents/pause-codes.js';
import { AcdAgentPool } from '../../../src/dialer/adapters/acd-agent-pool.js';
import { sipOriginator } from '../../../src/dialer/adapters/sip-originator.js';
import { FakeCall } from '../../../src/dialer/sim/fake-call.js';
import type { ScreenPop } from '../../../src/dialer/ports.js';
import { until } from './fakes.js';

const t = testRedis();
const published: { topic: string; type: string }[] = [];
const bus = { publish: async (topic: string, e: { type: string }) => void published.push({ topic, type: e.type }) };
const agentState = new AgentStateService({ redis: t.redis, keys: t.keys, bus, pauseCodes: new PauseCodeStore(t.redis, t.keys) });
const directory = new AgentDirectory(t.redis, t.keys);
const pool = new AcdAgentPool({
  agentState, directory, agentsOf: async () => ['a1', 'a2', 'a3'], bus, log: pino({ level: 'silent' }), autoWrapMs: 30, pollMs: 20,
});
const pop: ScreenPop = { campaignId: 'c1', leadId: 'L1', phoneMasked: '+*******0001', fields: {}, attempts: 1 };

beforeAll(async () => {
  for (const id of ['a1', 'a2']) {
    await agentState.request(id, 'available');
    await directory.setRegistration(id, `sip:${id}@127.0.0.1:5090`, 300);
  }
});
afterAll(() => t.cleanup());

describe('AcdAgentPool over the real agent state machine', () => {
  it('maps ACD states for the pacer', async () => {
    const snap = await pool.snapshot('c1');
    expect(snap.map((s) => [s.agentId, s.state])).toEqual([['a1', 'idle'], ['a2', 'idle'], ['a3', 'away']]);
  });

  it('owner first; concurrent reservations of one agent: exactly one wins', async () => {
    const [x, y] = await Promise.all([
      pool.reserve({ campaignId: 'c1', preferredAgentId: 'a2', onlyPreferred: true, waitMs: 0 }),
      pool.reserve({ campaignId: 'c1', preferredAgentId: 'a2', onlyPreferred: true, waitMs: 0 }),
    ]);
    expect([x, y].filter(Boolean)).toHaveLength(1);
    expect((x ?? y)!.agentId).toBe('a2');
    expect((await agentState.get('a2')).state).toBe('reserved');
    await pool.release((x ?? y)!);
    expect((await agentState.get('a2')).state).toBe('available');
  });

  it('waits up to waitMs for an agent to free up, else null', async () => {
    const r1 = await pool.reserve({ campaignId: 'c1', waitMs: 0 });
    const r2 = await pool.reserve({ campaignId: 'c1', waitMs: 0 });
    expect([r1?.agentId, r2?.agentId].sort()).toEqual(['a1', 'a2']);
    expect(await pool.reserve({ campaignId: 'c1', waitMs: 60 })).toBeNull();
    setTimeout(() => void pool.release(r1!), 40);
    expect((await pool.reserve({ campaignId: 'c1', waitMs: 5000 }))?.agentId).toBe(r1!.agentId);
  });

  it('connect bridges to the agent contact, pushes the screen pop, then wrap-up and back to available', async () => {
    await agentState.tryTransition('a1', 'available', { from: ['reserved'] });
    await agentState.tryTransition('a2', 'available', { from: ['reserved'] });
    const r = (await pool.reserve({ campaignId: 'c1', preferredAgentId: 'a1', waitMs: 0 }))!;
    const call = new FakeCall('cust-1', '+8613800000001', '+861012345678');
    expect(await pool.connect(r, call, pop)).toEqual({ ok: true });
    expect(published).toContainEqual({ topic: 'agent:a1', type: 'screen-pop' });
    expect((await agentState.get('a1')).state).toBe('on-call');
    call.remoteHangup();
    // wrap-up first (autoWrapMs 30), then available.
    const seen = new Set<string>();
    await until(async () => {
      seen.add((await agentState.get('a1')).state);
      return seen.has('available');
    });
    expect(published.filter((p) => p.topic === 'agent:a1').map((p) => p.type)).toContain('screen-pop');
    const history = (await agentState.history('a1', 10)).map((h) => h.state).reverse();
    expect(history.slice(-3)).toEqual(['on-call', 'wrap-up', 'available']);
  });

  it('a customer who hangs up as the bridge completes does not leave the agent on-call', async () => {
    await until(async () => (await agentState.get('a1')).state === 'available');
    const r = (await pool.reserve({ campaignId: 'c1', preferredAgentId: 'a1', onlyPreferred: true, waitMs: 0 }))!;
    const call = new (class extends FakeCall {
      override async bridge(t: Parameters<FakeCall['bridge']>[0]) {
        const b = await super.bridge(t);
        this.remoteHangup();
        return b;
      }
    })('cust-3', '+8613800000003', '+861012345678');
    expect(await pool.connect(r, call, pop)).toEqual({ ok: true });
    await until(async () => (await agentState.get('a1')).state === 'available');
  });

  it('connect fails cleanly when the agent has no registered contact', async () => {
    await agentState.request('a3', 'available');
    const r = (await pool.reserve({ campaignId: 'c1', preferredAgentId: 'a3', onlyPreferred: true, waitMs: 0 }))!;
    expect(await pool.connect(r, new FakeCall('cust-2', '+8613800000002', '+861012345678'), pop)).toMatchObject({ ok: false });
  });
});

describe('sipOriginator adapter', () => {
  it('maps the trunk name, passes the prefixes, measures ring time and turns throws into failed', async () => {
    const seen: unknown[] = [];
    const o = sipOriginator({
      async originate(req) {
        seen.push(req);
        if (req.to === '+8613800000009') throw new Error('refused: not within allowed prefixes');
        return { outcome: 'busy', sipStatus: 486 };
      },
    }, { trunks: { 'trunk-a': 'sip:{number}@127.0.0.1:5080' } });
    const r = await o.originate({ to: '+8613800000001', callerId: '+861012345678', trunk: 'trunk-a', ringTimeoutMs: 20000, campaignId: 'c', leadId: 'L', allowedPrefixes: ['+86'] });
    expect(r).toMatchObject({ outcome: 'busy', sipStatus: 486 });
    expect(seen[0]).toMatchObject({ trunk: 'sip:{number}@127.0.0.1:5080', allowedPrefixes: ['+86'], ringTimeoutMs: 20000 });
    expect(await o.originate({ to: '+8613800000009', callerId: '+86', trunk: 'x', ringTimeoutMs: 20000, campaignId: 'c', leadId: 'L' })).toMatchObject({ outcome: 'failed' });
  });
});
