import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { adminCreate, loginToken, startServiceStack, type ServiceStack } from './stack/service-stack.js';
import { WsClient } from './stack/ws-client.js';
import { audibleStats, toneWav } from './calls/stack.js';
import { RtpengineClient } from '../../src/media/rtpengine-client.js';
import { startBaresip, type Baresip } from '../support/baresip.js';

/**
 * The ACD's done-when, through the whole service (src/service.ts) over real SIP/RTP on loopback:
 * everything is configured by the REST API; a baresip agent registers with digest auth and goes available over
 * the WebSocket; a baresip customer calls the DID, presses 1 (RFC 2833) in the IVR menu, waits in the queue,
 * and is connected to the agent's auto-answering softphone. The agent's socket sees offer/answer/end with the
 * caller's number masked; a supervisor's socket sees the queue's figures change.
 */

const CUSTOMER = '8613800138000';
const DID = '4000';
let stack: ServiceStack;
let sipServer: string;
let agentTone: string;
let customerTone: string;
const phones: Baresip[] = [];
const sockets: WsClient[] = [];

const token = (username: string, password: string) => loginToken(stack, username, password);
const created = (method: string, path: string, body: unknown) => adminCreate(stack, method, path, body);

beforeAll(async () => {
  stack = await startServiceStack();
  sipServer = `127.0.0.1:${stack.engine.sipPort}`;
  agentTone = await toneWav(join(stack.dir, 'agent.wav'), 400, 30);
  customerTone = await toneWav(join(stack.dir, 'customer.wav'), 600, 30);

  await created('POST', '/queues', { id: 'sales', name: 'Sales', strategy: 'longest-idle', ringTimeoutSec: 15, wrapUpSec: 1 });
  await created('POST', '/agents', { id: 'A1', name: 'Agent One', sipUsername: 'agent1', sipPassword: 'agent1-sip-secret', skills: { mandarin: 2 }, queues: ['sales'] });
  await created('POST', '/users', { username: 'agent1', password: 'agent1-login-pw', role: 'agent', agentId: 'A1' });
  await created('POST', '/users', { username: 'sup1', password: 'sup1-login-pw', role: 'supervisor' });
  await created('POST', '/ivr/flows', {
    id: 'main', name: 'Main menu', start: 'menu',
    nodes: {
      menu: { kind: 'menu', prompts: ['welcome', 'press', 'digit-1', 'to-speak-to-agent'], choices: [{ key: '1', next: 'sales' }], timeoutMs: 8000 },
      sales: { kind: 'enqueue', queueId: 'sales' },
    },
  });
  await created('PUT', `/ivr/numbers/${DID}`, { flowId: 'main' });
});

afterAll(async () => {
  for (const s of sockets) s.close();
  for (const p of phones.reverse()) await p.stop(); // phones un-register before the service goes
  await stack?.stop();
});

async function customerCallsAndPresses1(did = DID): Promise<Baresip> {
  const customer = await startBaresip({ user: CUSTOMER, password: 'unused-pw', server: sipServer, audioFile: customerTone, register: false });
  phones.push(customer);
  await customer.command('dial', `sip:${did}@${sipServer}`);
  await customer.waitEvent('CALL_ESTABLISHED', 10_000);
  await new Promise((r) => setTimeout(r, 1500)); // the menu prompt starts
  await customer.command('sndcode', '1');
  await new Promise((r) => setTimeout(r, 200));
  await customer.command('sndcode', ''); // key release ends the RFC 2833 event
  return customer;
}

describe('inbound call through the whole service: IVR -> queue -> agent', () => {
  let agentPhone: Baresip;
  let agentWs: WsClient;
  let supWs: WsClient;

  it('the agent softphone registers with digest auth; the agent and a supervisor connect their WebSockets', async () => {
    agentPhone = await startBaresip({ user: 'agent1', password: 'agent1-sip-secret', server: sipServer, audioFile: agentTone });
    phones.push(agentPhone);
    await agentPhone.waitEvent('REGISTER_OK', 10_000);
    const detail = await stack.api<{ contacts?: unknown[] }>('GET', '/agents/A1', undefined, stack.admin);
    expect(detail.status).toBe(200);
    expect(JSON.stringify(detail.body)).toContain(`127.0.0.1:${agentPhone.sipPort}`);

    agentWs = await WsClient.open(stack.base, await token('agent1', 'agent1-login-pw'));
    sockets.push(agentWs);
    supWs = await WsClient.open(stack.base, await token('sup1', 'sup1-login-pw'));
    sockets.push(supWs);
    supWs.send({ type: 'subscribe', id: 's1', queues: ['sales'] });
    await supWs.waitFor((f) => f.type === 'ack' && f.id === 's1');
    const first = await supWs.waitFor((f) => f.type === 'stats' && f.queueId === 'sales', 5000, 'initial stats');
    expect(first.stats).toMatchObject({ waiting: 0, answered: 0 });
  });

  it('the customer presses 1, waits in the queue, is connected when the agent goes available; events reach both sockets', async () => {
    const answeredBefore = supWs.stats('sales').at(-1)!.answered;
    const sup = supWs.mark();
    const customer = await customerCallsAndPresses1();
    // the agent is still logged out: the caller waits, and the supervisor sees it
    await supWs.waitFor((f) => f.type === 'stats' && f.queueId === 'sales' && f.stats!.waiting === 1, 10_000, 'waiting 1', sup);

    agentWs.send({ type: 'state', id: 'go', state: 'available' });
    const ack = await agentWs.waitFor((f) => f.id === 'go');
    expect(ack).toMatchObject({ type: 'ack', state: 'available' });

    await agentPhone.waitEvent('CALL_ESTABLISHED', 15_000);
    const offer = await agentWs.waitFor((f) => f.event?.type === 'offer', 5000, 'offer');
    const answer = await agentWs.waitFor((f) => f.event?.type === 'answer', 5000, 'answer');
    const pop = answer.event!.screenPop as Record<string, unknown>;
    expect(pop.callerNumber).toBe(`*********${CUSTOMER.slice(-4)}`);
    expect(JSON.stringify(offer.event)).not.toContain(CUSTOMER);
    expect(JSON.stringify(answer.event)).not.toContain(CUSTOMER);
    await supWs.waitFor((f) => f.type === 'stats' && f.stats!.waiting === 0 && f.stats!.answered === answeredBefore + 1, 10_000, 'waiting 0, answered +1', sup);
    // supervisors get the real number
    const supOffer = await supWs.waitFor((f) => f.type === 'event' && f.event?.type === 'offer', 5000, 'supervisor offer');
    expect(JSON.stringify(supOffer.event)).toContain(CUSTOMER);

    await new Promise((r) => setTimeout(r, 1500)); // they talk
    await customer.command('hangup');
    await customer.waitEvent('CALL_CLOSED', 10_000);
    await agentPhone.waitEvent('CALL_CLOSED', 10_000);
    const end = await agentWs.waitFor((f) => f.event?.type === 'end', 5000, 'end');
    expect(end.event).toMatchObject({ reason: 'caller-hangup' });
    const order = agentWs.agentEvents().filter((t) => ['offer', 'answer', 'end'].includes(t));
    expect(order).toEqual(['offer', 'answer', 'end']);

    // what the agent heard was the customer's 600 Hz tone
    const heard = agentPhone.dumps().find((f) => f.endsWith('-dec.wav'));
    expect(heard, agentPhone.dumps().join(',')).toBeDefined();
    const stats = await audibleStats(heard as string, join(stack.dir, 'agent-heard.wav'));
    expect(stats.seconds).toBeGreaterThan(1);
    expect(Math.abs(stats.freq - 600)).toBeLessThan(60);

    // after wrap-up (1 s) the agent is available again
    await expect.poll(async () => (await stack.api<{ state: string }>('GET', '/agents/A1/state', undefined, stack.admin)).body.state, { timeout: 5000 }).toBe('available');
  });

  it('a caller who hangs up while waiting is counted as abandoned', async () => {
    agentWs.send({ type: 'state', id: 'pause', state: 'paused', reason: 'break' });
    const ack = await agentWs.waitFor((f) => f.id === 'pause');
    expect(ack, JSON.stringify(ack)).toMatchObject({ type: 'ack', state: 'paused' });
    const before = supWs.stats('sales').at(-1)!;
    const sup = supWs.mark();
    const customer = await customerCallsAndPresses1();
    await supWs.waitFor((f) => f.type === 'stats' && f.stats!.waiting === 1, 10_000, 'waiting 1', sup);
    await customer.command('hangup');
    await customer.waitEvent('CALL_CLOSED', 10_000);
    const after = await supWs.waitFor((f) => f.type === 'stats' && f.stats!.waiting === 0 && f.stats!.abandoned === before.abandoned + 1, 10_000, 'abandoned +1', sup);
    expect(after.stats!.answered).toBe(before.answered);
    // the paused agent's phone never rang: still only the first call's CALL_ESTABLISHED
    expect(agentPhone.events.filter((e) => e.type === 'CALL_ESTABLISHED').length).toBe(1);
  });

  it('a caller who waits past the max wait overflows to the next queue; both queues count it', async () => {
    await created('POST', '/queues', { id: 'vip', name: 'VIP line', maxWaitSec: 2, overflow: { type: 'queue', queueId: 'sales' }, wrapUpSec: 1 });
    await created('POST', '/ivr/flows', {
      id: 'vipflow', name: 'VIP', start: 'menu',
      nodes: {
        menu: { kind: 'menu', prompts: ['welcome', 'press', 'digit-1', 'to-speak-to-agent'], choices: [{ key: '1', next: 'q' }], timeoutMs: 8000 },
        q: { kind: 'enqueue', queueId: 'vip' },
      },
    });
    await created('PUT', '/ivr/numbers/4001', { flowId: 'vipflow' });
    supWs.send({ type: 'subscribe', id: 'vip', queues: ['vip'] });
    await supWs.waitFor((f) => f.id === 'vip');
    const sup = supWs.mark();
    // the agent (member of sales only) is still paused: nobody can take the VIP call
    const customer = await customerCallsAndPresses1('4001');
    const vip = await supWs.waitFor((f) => f.type === 'stats' && f.queueId === 'vip' && f.stats!.timedOut === 1 && f.stats!.waiting === 0, 15_000, 'vip timed out', sup);
    expect(vip.stats!.answered).toBe(0);
    await supWs.waitFor((f) => f.type === 'stats' && f.queueId === 'sales' && f.stats!.waiting === 1, 10_000, 'overflowed into sales', sup);
    const log = await stack.api<{ event: string; queue: string }[]>('GET', '/queue-log?queue=vip', undefined, stack.admin);
    expect(log.body.map((e) => e.event)).toEqual(expect.arrayContaining(['ENTERQUEUE', 'EXITWITHTIMEOUT']));
    await customer.command('hangup');
    await customer.waitEvent('CALL_CLOSED', 10_000);
  });

  it('leaves no call, rtpengine session or SIP dialog behind', async () => {
    await new Promise((r) => setTimeout(r, 500));
    expect(stack.engine.agent.stats().dialogs).toBe(0);
    const rtp = new RtpengineClient({ host: '127.0.0.1', port: stack.rtpe.ngPort });
    try {
      expect(await rtp.list()).toEqual([]);
    } finally {
      rtp.close();
    }
  });
});
