import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServiceStack, type ServiceStack } from './stack/service-stack.js';
import { WsClient } from './stack/ws-client.js';
import { toneWav } from './calls/stack.js';
import { RtpengineClient } from '../../src/media/rtpengine-client.js';
import { startBaresip, type Baresip } from '../support/baresip.js';

/**
 * Supervisor listen-in over real SIP/RTP through the whole service: a baresip customer (600 Hz) reaches a baresip
 * agent (400 Hz) via IVR + queue; a supervisor's baresip (sending 1000 Hz) is rung by POST /calls/:id/listen and
 * hears the customer, while the customer never hears the supervisor. The listen leg ends with the call.
 */

const exec = promisify(execFile);
const CUSTOMER = '8613800138000';
let stack: ServiceStack;
let sipServer: string;
const phones: Baresip[] = [];
const sockets: WsClient[] = [];

/** Relative power of `hz` in a WAV (Goertzel over the whole file / total energy), 0..1. */
async function toneShare(file: string, hz: number): Promise<number> {
  const { stdout } = await exec('sox', [file, '-t', 'raw', '-r', '8000', '-e', 'signed', '-b', '16', '-c', '1', '-'], { encoding: 'buffer', maxBuffer: 64 << 20 });
  const n = Math.floor(stdout.length / 2);
  const block = 400;
  const k = (2 * Math.PI * hz) / 8000;
  const coeff = 2 * Math.cos(k);
  let tone = 0;
  let total = 0;
  for (let start = 0; start + block <= n; start += block) {
    let s1 = 0;
    let s2 = 0;
    let energy = 0;
    for (let i = 0; i < block; i++) {
      const x = stdout.readInt16LE((start + i) * 2) / 32768;
      energy += x * x;
      const s0 = x + coeff * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    tone += ((s1 * s1 + s2 * s2 - coeff * s1 * s2) * 2) / block;
    total += energy;
  }
  return total === 0 ? 0 : tone / total;
}

async function token(username: string, password: string): Promise<string> {
  const r = await stack.api<{ token: string }>('POST', '/auth/token', { username, password });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.token;
}

async function created(method: string, path: string, body: unknown): Promise<void> {
  const r = await stack.api(method, path, body, stack.admin);
  expect([200, 201], `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`).toContain(r.status);
}

beforeAll(async () => {
  stack = await startServiceStack();
  sipServer = `127.0.0.1:${stack.engine.sipPort}`;
  await created('POST', '/queues', { id: 'sales', name: 'Sales', strategy: 'longest-idle', ringTimeoutSec: 15, wrapUpSec: 1 });
  await created('POST', '/agents', { id: 'A1', name: 'Agent One', sipUsername: 'agent1', sipPassword: 'agent1-sip-secret', queues: ['sales'] });
  await created('POST', '/agents', { id: 'S1', name: 'Supervisor phone', sipUsername: 'sup1', sipPassword: 'sup1-sip-secret', queues: [] });
  await created('POST', '/users', { username: 'agent1', password: 'agent1-login-pw', role: 'agent', agentId: 'A1' });
  await created('POST', '/users', { username: 'sup1', password: 'sup1-login-pw', role: 'supervisor' });
  await created('POST', '/ivr/flows', {
    id: 'main', name: 'Main', start: 'q',
    nodes: { q: { kind: 'enqueue', queueId: 'sales' } },
  });
  await created('PUT', '/ivr/numbers/4000', { flowId: 'main' });
}, 30_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  for (const p of phones.reverse()) await p.stop();
  await stack?.stop();
});

describe('supervisor listen-in (silent monitoring) through the whole service', () => {
  it('the supervisor hears the live call one way; audited; the listen leg ends with the call; nothing leaks', async () => {
    const agentPhone = await startBaresip({ user: 'agent1', password: 'agent1-sip-secret', server: sipServer, audioFile: await toneWav(join(stack.dir, 'a.wav'), 400, 30) });
    const supPhone = await startBaresip({ user: 'sup1', password: 'sup1-sip-secret', server: sipServer, audioFile: await toneWav(join(stack.dir, 's.wav'), 1000, 30) });
    phones.push(agentPhone, supPhone);
    await agentPhone.waitEvent('REGISTER_OK', 10_000);
    await supPhone.waitEvent('REGISTER_OK', 10_000);
    const agentToken = await token('agent1', 'agent1-login-pw');
    const agentWs = await WsClient.open(stack.base, agentToken);
    sockets.push(agentWs);
    agentWs.send({ type: 'state', id: 'go', state: 'available' });
    await agentWs.waitFor((f) => f.id === 'go');
    const sup = { authorization: `Bearer ${await token('sup1', 'sup1-login-pw')}` };
    const agent = { authorization: `Bearer ${agentToken}` };

    const customer = await startBaresip({ user: CUSTOMER, password: 'unused', server: sipServer, audioFile: await toneWav(join(stack.dir, 'c.wav'), 600, 30), register: false });
    phones.push(customer);
    await customer.command('dial', `sip:4000@${sipServer}`);
    await agentPhone.waitEvent('CALL_ESTABLISHED', 15_000);

    // GET /calls: supervisors see the number, agents the masked one
    const supList = await stack.api<{ items: { callId: string; remoteNumber: string }[] }>('GET', '/calls', undefined, sup);
    expect(supList.status).toBe(200);
    const call = supList.body.items.find((c) => c.remoteNumber === CUSTOMER);
    expect(call, JSON.stringify(supList.body)).toBeDefined();
    const agentList = await stack.api<{ items: { remoteNumber: string }[] }>('GET', '/calls', undefined, agent);
    expect(agentList.body.items.map((c) => c.remoteNumber)).toContain(`*********${CUSTOMER.slice(-4)}`);
    expect(JSON.stringify(agentList.body)).not.toContain(CUSTOMER);
    // agents may not listen in
    expect((await stack.api('POST', `/calls/${encodeURIComponent(call!.callId)}/listen`, { agentId: 'S1' }, agent)).status).toBe(403);

    const listen = await stack.api<{ id: string; callId: string }>('POST', `/calls/${encodeURIComponent(call!.callId)}/listen`, { agentId: 'S1' }, sup);
    expect(listen.status, JSON.stringify(listen.body)).toBe(200);
    await supPhone.waitEvent('CALL_ESTABLISHED', 5000);
    await new Promise((r) => setTimeout(r, 3000)); // the supervisor listens while its phone "talks" 1000 Hz
    if (process.env.LISTEN_DEBUG) {
      const dbg = new RtpengineClient({ host: '127.0.0.1', port: stack.rtpe.ngPort });
      (await import("node:fs")).writeFileSync("/tmp/li/q.json", JSON.stringify((await dbg.query(call!.callId)).raw));
      dbg.close();
      (await import('node:fs')).writeFileSync('/tmp/li/rtpe.log', stack.rtpe.proc.output());
      (await import('node:fs')).writeFileSync('/tmp/li/callstat.txt', JSON.stringify(await supPhone.command('callstat')) + '\n' + supPhone.proc.output());
    }

    await customer.command('hangup');
    await customer.waitEvent('CALL_CLOSED', 10_000);
    await agentPhone.waitEvent('CALL_CLOSED', 10_000);
    await supPhone.waitEvent('CALL_CLOSED', 10_000); // the listen leg ends with the call

    const supHeard = supPhone.dumps().find((f) => f.endsWith('-dec.wav'));
    expect(supHeard, supPhone.dumps().join(',')).toBeDefined();
    if (process.env.LISTEN_DEBUG) for (const f of supPhone.dumps()) console.log('DUMP', f, (await exec('sox', ['--i', '-D', f])).stdout.trim(), (await exec('sox', [f, '-n', 'stat'])).stderr.split('\n').filter((l) => /RMS +amp|Rough/.test(l)).join(' '));
    const custShare = await toneShare(supHeard!, 600);
    const supOwn = await toneShare(supHeard!, 1000);
    console.log('supervisor heard: 600 Hz share', custShare.toFixed(3), '400 Hz share', (await toneShare(supHeard!, 400)).toFixed(3), '1000 Hz share', supOwn.toFixed(3));
    expect(custShare).toBeGreaterThan(0.3);

    const custHeard = customer.dumps().find((f) => f.endsWith('-dec.wav'));
    expect(custHeard).toBeDefined();
    const leak = await toneShare(custHeard!, 1000);
    const agentVoice = await toneShare(custHeard!, 400);
    console.log('customer heard: 400 Hz share', agentVoice.toFixed(3), '1000 Hz share', leak.toFixed(3));
    expect(agentVoice).toBeGreaterThan(0.3); // the detector works on this dump: the agent is heard
    expect(leak).toBeLessThan(0.01); // the supervisor never is

    const audit = await stack.svc.ctx.audit.list({ action: 'call.listen' });
    expect(audit.map((e) => [e.actor, e.target])).toContainEqual(['sup1', call!.callId]);

    await new Promise((r) => setTimeout(r, 500));
    expect(stack.engine.agent.stats().dialogs).toBe(0);
    const rtp = new RtpengineClient({ host: '127.0.0.1', port: stack.rtpe.ngPort });
    try {
      expect(await rtp.list()).toEqual([]);
    } finally {
      rtp.close();
    }
    expect((await stack.api<{ items: unknown[] }>('GET', '/calls/listens', undefined, sup)).body.items).toEqual([]);
  }, 45_000);
});
