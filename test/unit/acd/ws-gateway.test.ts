import { Redis } from 'ioredis';
import { pino } from 'pino';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import type { AppContext } from '../../../src/context.js';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { UserStore } from '../../../src/auth/users.js';
import { TokenSigner } from '../../../src/auth/tokens.js';
import type { Principal } from '../../../src/auth/roles.js';
import { EventBus } from '../../../src/events/bus.js';
import { createAcd, type Acd } from '../../../src/queue/acd.js';
import { namedPrompts } from '../../../src/queue/ports.js';
import type { Keys } from '../../../src/redis.js';
import { FakeCall } from '../../support/acd-fakes.js';
import { until } from '../../support/acd.js';
import { REDIS_URL, testRedis } from '../../support/redis.js';

/** One service instance: its own Redis connections, bus, ACD and a Fastify app listening on loopback. */
async function instance(keys: Keys, tokens: TokenSigner) {
  const redis = new Redis(REDIS_URL);
  const pub = new Redis(REDIS_URL);
  const sub = new Redis(REDIS_URL);
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', REDIS_PREFIX: keys.prefix });
  const log = pino({ level: 'silent' });
  const ctx: AppContext = { config, log, redis, keys, audit: new AuditLog(redis, keys), users: new UserStore(redis, keys), tokens, readiness: [] };
  const acd = createAcd({ redis, keys, bus: new EventBus(pub, sub, keys), log, audit: ctx.audit, prompts: namedPrompts('/p'), statsIntervalMs: 250 });
  const app = await buildApp(ctx, acd.domains);
  await acd.start();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  return {
    acd, app, port,
    async close() {
      await acd.stop();
      await app.close();
      redis.disconnect();
      pub.disconnect();
      sub.disconnect();
    },
  };
}

interface Client {
  ws: WebSocket;
  msgs: Record<string, unknown>[];
  send(m: Record<string, unknown>): void;
  waitFor(pred: (m: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>>;
}

async function connect(port: number, token?: string): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`);
  const msgs: Record<string, unknown>[] = [];
  ws.on('message', (d) => msgs.push(JSON.parse(d.toString())));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws, msgs,
    send: (m) => ws.send(JSON.stringify(m)),
    async waitFor(pred, what) {
      await until(() => msgs.some(pred), 5000, what);
      return msgs.find(pred)!;
    },
  };
}

describe('WebSocket gateway against listening Fastify instances', () => {
  const r = testRedis();
  const tokens = new TokenSigner('ws-test-secret-0123456789', 3600);
  const tok = (p: Principal) => tokens.sign(p);
  let A: Awaited<ReturnType<typeof instance>>;
  let B: Awaited<ReturnType<typeof instance>>;
  let acd: Acd;
  const clients: Client[] = [];
  beforeAll(async () => {
    A = await instance(r.keys, tokens);
    B = await instance(r.keys, tokens);
    acd = A.acd;
    await acd.queues.upsert({ id: 'sales', name: 'Sales', wrapUpSec: 0, serviceLevelSec: 30 });
    await acd.queues.upsert({ id: 'other', name: 'Other' });
    await acd.agents.upsert({ id: 'a1', name: 'Ann', sipUsername: 'ann', sipPassword: 'ann-secret-pw', skills: {}, queues: ['sales'] });
    await acd.directory.setRegistration('a1', 'sip:ann@127.0.0.1:5090', 300);
  });
  afterAll(async () => {
    for (const c of clients) c.ws.close();
    await A.close();
    await B.close();
    await r.cleanup();
  });

  it('refuses a socket without a valid token', async () => {
    await expect(connect(A.port)).rejects.toThrow(/401/);
    await expect(connect(A.port, 'forged.token')).rejects.toThrow(/401/);
  });

  it('agent on instance B sees offer/answer/end (masked) for a call queued on instance A; supervisor on B gets events and live stats', async () => {
    const agent = await connect(B.port, tok({ sub: 'ann', role: 'agent', agentId: 'a1' }));
    const sup = await connect(B.port, tok({ sub: 'sue', role: 'supervisor' }));
    clients.push(agent, sup);
    expect(await agent.waitFor((m) => m.type === 'hello', 'agent hello')).toMatchObject({ role: 'agent', agentId: 'a1', status: { state: 'logged-out' } });

    // roles: an agent can't subscribe to supervisor topics, nor change someone else's state
    agent.send({ type: 'subscribe', id: 1, queues: ['sales'] });
    expect(await agent.waitFor((m) => m.id === 1, 'subscribe answer')).toMatchObject({ type: 'error', error: 'forbidden' });
    agent.send({ type: 'state', id: 2, state: 'available', agentId: 'someone-else' });
    expect(await agent.waitFor((m) => m.id === 2, 'state answer')).toMatchObject({ type: 'error', error: 'forbidden' });
    agent.send({ type: 'state', id: 3, state: 'paused', reason: 'not-a-code' });
    expect(await agent.waitFor((m) => m.id === 3, 'bad pause')).toMatchObject({ type: 'error', error: 'bad_request' });
    agent.send({ type: 'bogus', id: 4 });
    expect(await agent.waitFor((m) => m.type === 'error' && String(m.message).includes('type'), 'bad message')).toMatchObject({ error: 'bad_request' });

    sup.send({ type: 'subscribe', id: 's1', queues: ['sales'] });
    expect(await sup.waitFor((m) => m.id === 's1', 'sub ack')).toMatchObject({ type: 'ack', queues: ['sales'] });
    const first = (await sup.waitFor((m) => m.type === 'stats', 'initial stats')).stats as Record<string, unknown>;
    expect(first).toMatchObject({ queueId: 'sales', waiting: 0, answered: 0 });

    // the agent logs in over the socket
    agent.send({ type: 'state', id: 5, state: 'available' });
    expect(await agent.waitFor((m) => m.id === 5, 'login ack')).toMatchObject({ type: 'ack', state: 'available', prev: 'logged-out' });
    await sup.waitFor((m) => m.type === 'stats' && (m.stats as { agents: Record<string, number> }).agents.available === 1, 'stats: 1 available');

    // a caller arrives on instance A and rings long enough for the supervisor to see them waiting
    const call = new FakeCall({ remoteNumber: '+15551234567', script: () => ({ outcome: 'answer', afterMs: 400 }) });
    const done = acd.queueService.enqueue(call, { queueId: 'sales', vars: { account: '42' }, digits: '42#' });
    const offer = await agent.waitFor((m) => m.type === 'event' && (m.event as { type: string }).type === 'offer', 'offer');
    const pop = (offer.event as { screenPop: Record<string, unknown> }).screenPop;
    expect(pop).toMatchObject({ callerNumber: '+*******4567', vars: { account: '42' }, digits: '42#', queueId: 'sales', callId: call.callId });
    expect(JSON.stringify(agent.msgs)).not.toContain('+15551234567');

    await sup.waitFor((m) => m.type === 'stats' && (m.stats as { waiting: number }).waiting === 1, 'stats: 1 waiting');
    const enter = await sup.waitFor((m) => m.type === 'event' && (m.event as { event?: string }).event === 'ENTERQUEUE', 'ENTERQUEUE event');
    expect((enter.event as { data2: string }).data2).toBe('+15551234567'); // supervisors see the number

    await agent.waitFor((m) => m.type === 'event' && (m.event as { type: string }).type === 'answer', 'answer');
    await sup.waitFor((m) => m.type === 'stats' && (m.stats as { answered: number }).answered === 1, 'stats: answered');
    call.callerHangup();
    await done;
    const end = await agent.waitFor((m) => m.type === 'event' && (m.event as { type: string }).type === 'end', 'end');
    expect(end.event).toMatchObject({ reason: 'caller-hangup', callId: call.callId });
    const agentEvents = agent.msgs.filter((m) => m.type === 'event').map((m) => (m.event as { type: string; state?: string }).type);
    expect(agentEvents.filter((t) => ['offer', 'answer', 'end'].includes(t))).toEqual(['offer', 'answer', 'end']);

    const s = (await sup.waitFor((m) => m.type === 'stats' && (m.stats as { waiting: number; answered: number }).answered === 1 && (m.stats as { waiting: number }).waiting === 0, 'final stats')).stats;
    expect(s).toMatchObject({ entered: 1, answered: 1, serviceLevelPct: 100, abandonPct: 0 });
    const supEvents = sup.msgs.filter((m) => m.type === 'event').map((m) => m.event as { type: string; event?: string; state?: string });
    expect(supEvents.filter((e) => e.type === 'queue-log').map((e) => e.event)).toEqual(['ENTERQUEUE', 'CONNECT', 'COMPLETECALLER']);
    expect(supEvents.filter((e) => e.type === 'agent-state').map((e) => e.state)).toEqual(['available', 'reserved', 'on-call', 'available']);
    expect(sup.msgs.filter((m) => m.type === 'stats').every((m) => (m.stats as { queueId: string }).queueId === 'sales')).toBe(true);

    // a supervisor may change an agent's state over the socket; the agent sees it
    sup.send({ type: 'state', id: 's2', agentId: 'a1', state: 'paused', reason: 'training' });
    expect(await sup.waitFor((m) => m.id === 's2', 'sup state ack')).toMatchObject({ type: 'ack', agentId: 'a1', state: 'paused' });
    await agent.waitFor((m) => m.type === 'event' && (m.event as { state?: string }).state === 'paused', 'agent sees pause');
    agent.send({ type: 'state', id: 6, state: 'available' });
    expect(await agent.waitFor((m) => m.id === 6, 'unpause ack')).toMatchObject({ type: 'ack', state: 'available', prev: 'paused' });
  });

  it('a supervisor subscribed to another queue does not get this queue\'s events', async () => {
    const sup2 = await connect(A.port, tok({ sub: 'sam', role: 'supervisor' }));
    const witness = await connect(A.port, tok({ sub: 'wes', role: 'admin' }));
    clients.push(sup2, witness);
    sup2.send({ type: 'subscribe', id: 1, queues: ['other'] });
    witness.send({ type: 'subscribe', id: 1, queues: ['sales'] });
    await sup2.waitFor((m) => m.id === 1, 'ack');
    await witness.waitFor((m) => m.id === 1, 'ack');
    const call = new FakeCall();
    const done = acd.queueService.enqueue(call, { queueId: 'sales' });
    await until(() => !!call.bridgedTo, 5000, 'answered');
    call.agentHangup();
    await done;
    // the same instance delivered the whole call to the sales subscriber, in bus order
    await witness.waitFor((m) => m.type === 'event' && (m.event as { event?: string }).event === 'COMPLETEAGENT', 'witness saw the call end');
    expect(witness.msgs.filter((m) => m.type === 'event').length).toBeGreaterThanOrEqual(6);
    expect(sup2.msgs.filter((m) => m.type === 'event')).toEqual([]);
  });

  it('a wallboard subscribed to every queue (\'*\') gets every queue\'s stats', async () => {
    const board = await connect(B.port, tok({ sub: 'wall', role: 'supervisor' }));
    clients.push(board);
    board.send({ type: 'subscribe', id: 1, queues: ['*'] });
    await board.waitFor((m) => m.type === 'stats' && m.queueId === 'sales', 'sales stats');
    await board.waitFor((m) => m.type === 'stats' && m.queueId === 'other', 'other stats');
    const call = new FakeCall({ script: () => ({ outcome: 'no-answer', afterMs: 10_000 }) });
    await acd.agentState.request('a1', 'paused', 'break');
    const done = acd.queueService.enqueue(call, { queueId: 'other' });
    await board.waitFor((m) => m.type === 'stats' && m.queueId === 'other' && (m.stats as { waiting: number }).waiting === 1, 'other: 1 waiting');
    call.callerHangup();
    await done;
    await board.waitFor((m) => m.type === 'stats' && m.queueId === 'other' && (m.stats as { abandoned: number }).abandoned === 1, 'other: abandoned');
  });
});
