import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startServiceStack, type ServiceStack } from './stack/service-stack.js';
import { WsClient } from './stack/ws-client.js';
import { toneWav } from './calls/stack.js';
import { startBaresip, type Baresip } from '../support/baresip.js';

/**
 * Queue routing through the whole service with two real softphone agents (baresip, digest auth):
 * a skills-based queue skips the longer-idle agent who lacks the skill; an owner-first queue rings the
 * customer's own rep (owner from an imported lead list) even though the other agent has waited longer.
 */
const CUSTOMER = '+8613800138000';
let stack: ServiceStack;
let sipServer: string;
let customerTone: string;
const phones: Baresip[] = [];
const agents: Record<string, { phone: Baresip; ws: WsClient }> = {};

async function ok(method: string, path: string, body: unknown): Promise<void> {
  const r = await stack.api(method, path, body, stack.admin);
  expect([200, 201], `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`).toContain(r.status);
}

async function agentUp(id: string, user: string, skills: Record<string, number>): Promise<void> {
  await ok('POST', '/agents', { id, name: `Agent ${id}`, sipUsername: user, sipPassword: `${user}-sip-secret`, skills, queues: ['mandarin', 'vip'] });
  await ok('POST', '/users', { username: user, password: `${user}-login-pw`, role: 'agent', agentId: id });
  const tone = await toneWav(join(stack.dir, `${id}.wav`), 400, 30);
  const phone = await startBaresip({ user, password: `${user}-sip-secret`, server: sipServer, audioFile: tone });
  phones.push(phone);
  await phone.waitEvent('REGISTER_OK', 10_000);
  const tok = await stack.api<{ token: string }>('POST', '/auth/token', { username: user, password: `${user}-login-pw` });
  const ws = await WsClient.open(stack.base, tok.body.token);
  agents[id] = { phone, ws };
}

async function setState(id: string, state: 'available' | 'paused'): Promise<void> {
  const reqId = `${id}-${state}-${Date.now()}`;
  agents[id].ws.send({ type: 'state', id: reqId, state, ...(state === 'paused' ? { reason: 'break' } : {}) });
  const ack = await agents[id].ws.waitFor((f) => f.id === reqId);
  expect(ack, JSON.stringify(ack)).toMatchObject({ type: 'ack', state });
}

/** A customer softphone calls the DID, presses 1, and waits to be connected; resolves with the agent whose phone answered. */
async function callAndPress1(did: string, user: string): Promise<{ customer: Baresip; agentId: string; mark: number }> {
  const customer = await startBaresip({ user, password: 'unused-pw', server: sipServer, audioFile: customerTone, register: false });
  phones.push(customer);
  const marks = Object.fromEntries(Object.entries(agents).map(([id, a]) => [id, a.ws.mark()]));
  const before = Object.fromEntries(Object.entries(agents).map(([id, a]) => [id, a.phone.events.filter((e) => e.type === 'CALL_ESTABLISHED').length]));
  await customer.command('dial', `sip:${did}@${sipServer}`);
  await customer.waitEvent('CALL_ESTABLISHED', 10_000);
  await new Promise((r) => setTimeout(r, 1500));
  await customer.command('sndcode', '1');
  await new Promise((r) => setTimeout(r, 200));
  await customer.command('sndcode', '');
  const end = Date.now() + 15_000;
  for (;;) {
    const answered = Object.entries(agents).find(([id, a]) => a.phone.events.filter((e) => e.type === 'CALL_ESTABLISHED').length > before[id]);
    if (answered) return { customer, agentId: answered[0], mark: marks[answered[0]] };
    if (Date.now() > end) throw new Error('no agent phone answered');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function hangupAndWrap(customer: Baresip, agentId: string, mark: number): Promise<void> {
  await customer.command('hangup');
  await customer.waitEvent('CALL_CLOSED', 10_000);
  await agents[agentId].ws.waitFor((f) => f.event?.type === 'end', 5000, 'end', mark);
  await expect.poll(async () => (await stack.api<{ state: string }>('GET', `/agents/${agentId}/state`, undefined, stack.admin)).body.state, { timeout: 5000 }).toBe('available');
  await customer.stop();
  phones.splice(phones.indexOf(customer), 1);
}

beforeAll(async () => {
  stack = await startServiceStack();
  sipServer = `127.0.0.1:${stack.engine.sipPort}`;
  customerTone = await toneWav(join(stack.dir, 'customer.wav'), 600, 30);
  await ok('POST', '/queues', { id: 'mandarin', name: 'Mandarin', strategy: 'skills-based', requiredSkills: { mandarin: 1 }, ringTimeoutSec: 15, wrapUpSec: 1 });
  await ok('POST', '/queues', { id: 'vip', name: 'VIP', strategy: 'owner-first', fallbackStrategy: 'longest-idle', ownerFallbackSec: 10, ringTimeoutSec: 15, wrapUpSec: 1 });
  for (const [id, did] of [['mandarin', '4001'], ['vip', '4002']] as const) {
    await ok('POST', '/ivr/flows', {
      id: `to-${id}`, name: `To ${id}`, start: 'menu',
      nodes: {
        menu: { kind: 'menu', prompts: ['welcome', 'press', 'digit-1', 'to-speak-to-agent'], choices: [{ key: '1', next: 'q' }], timeoutMs: 8000 },
        q: { kind: 'enqueue', queueId: id },
      },
    });
    await ok('PUT', `/ivr/numbers/${did}`, { flowId: `to-${id}` });
  }
  await agentUp('A1', 'agent1', { english: 3 });
  await agentUp('A2', 'agent2', { mandarin: 2 });
});

afterAll(async () => {
  for (const a of Object.values(agents)) a.ws.close();
  for (const p of phones.reverse()) await p.stop();
  await stack?.stop();
});

describe('queue routing through the service with two softphone agents', () => {
  it('skills-based: the call goes to the agent with the skill, not the one idle longest', async () => {
    await setState('A1', 'available');
    await new Promise((r) => setTimeout(r, 300));
    await setState('A2', 'available');
    const { customer, agentId, mark } = await callAndPress1('4001', 'caller1');
    expect(agentId).toBe('A2');
    const offer = await agents.A2.ws.waitFor((f) => f.event?.type === 'offer', 5000, 'offer to A2', mark);
    expect(offer.event).toMatchObject({ queueId: 'mandarin' });
    expect(agents.A1.ws.frames.some((f) => f.event?.type === 'offer')).toBe(false);
    await hangupAndWrap(customer, agentId, mark);
  });

  it("owner-first: a known customer's call rings their own rep although the other agent waited longer", async () => {
    // the customer belongs to A1 (lead list import with an owner column)
    await ok('POST', '/campaigns', { name: 'Renewals', trunk: 'default', callerId: '+861000000000', dialMode: 'preview', allowedPrefixes: ['+86'] });
    const campaigns = await stack.api<{ id: string }[]>('GET', '/campaigns', undefined, stack.admin);
    const campaignId = campaigns.body[0].id;
    const imp = await fetch(`${stack.base}/campaigns/${campaignId}/leads/import`, {
      method: 'POST', headers: { ...stack.admin, 'content-type': 'text/csv' }, body: `phone,name,owner\n${CUSTOMER},Wang Wei,A1\n`,
    });
    expect(imp.status, await imp.clone().text()).toBe(200);
    const owner = await stack.api<{ agentId?: string | null }>('GET', `/owners/${encodeURIComponent(CUSTOMER)}`, undefined, stack.admin);
    expect(JSON.stringify(owner.body)).toContain('A1');

    // A1 becomes available last: longest-idle alone would pick A2
    await setState('A1', 'paused');
    await setState('A1', 'available');
    const { customer, agentId, mark } = await callAndPress1('4002', CUSTOMER);
    expect(agentId).toBe('A1');
    const answer = await agents.A1.ws.waitFor((f) => f.event?.type === 'answer' && f.event.queueId === 'vip', 5000, 'answer for A1', mark);
    expect(JSON.stringify(answer.event)).not.toContain(CUSTOMER.slice(1)); // masked for the agent
    await hangupAndWrap(customer, agentId, mark);
  });
});
