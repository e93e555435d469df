import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServiceStack, type ServiceStack } from './stack/service-stack.js';
import { WsClient } from './stack/ws-client.js';
import { toneUlaw, toneWav } from './calls/stack.js';
import { startBaresip, type Baresip } from '../support/baresip.js';
import { runSipp, sippErrors, type SippRun } from '../support/sipp-calls.js';

/**
 * A scheduled callback through the whole service: the BullMQ worker fires it, the DialGuard (compliance) lets it
 * through, the owner agent (baresip, available) gets the preview on their WebSocket with the number masked,
 * the customer (sipp behind the trunk) is dialled and bridged to the owner's softphone; the callback is 'offered'.
 */
const PHONE = '+447911123456';
let stack: ServiceStack;
let customer: SippRun;
let agentPhone: Baresip | undefined;
let ws: WsClient | undefined;
const toneDir = mkdtempSync(join(tmpdir(), 'cb-e2e-'));

/** A zone where it is now well inside the default calling windows (09-21 minus 12:00-13:30 and 18-19). */
function openZone(): string {
  const zones = ['Europe/London', 'Asia/Shanghai', 'America/New_York', 'America/Los_Angeles', 'Asia/Kolkata', 'Europe/Moscow', 'Asia/Tokyo', 'Pacific/Auckland', 'America/Sao_Paulo', 'Pacific/Honolulu', 'Asia/Dubai', 'Europe/Berlin', 'Atlantic/Azores', 'Asia/Bangkok', 'Australia/Perth', 'America/Chicago'];
  const ok = [[9 * 60 + 5, 11 * 60 + 50], [13 * 60 + 35, 17 * 60 + 50], [19 * 60 + 5, 20 * 60 + 50]];
  for (const tz of zones) {
    const parts = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date());
    const m = Number(parts.find((p) => p.type === 'hour')!.value) * 60 + Number(parts.find((p) => p.type === 'minute')!.value);
    if (ok.some(([a, b]) => m >= a && m <= b)) return tz;
  }
  throw new Error('no zone inside the calling window found');
}

beforeAll(async () => {
  const tone = await toneUlaw(join(toneDir, 'customer.ul'), 600, 20);
  customer = await runSipp({ scenario: join(import.meta.dirname, 'calls/sipp/uas-answer-talk.xml'), vars: { TONE: tone }, timeoutS: 40 });
  stack = await startServiceStack({ TRUNK_URI_TEMPLATE: `sip:{number}@127.0.0.1:${customer.port}` });
});

afterAll(async () => {
  ws?.close();
  await agentPhone?.stop();
  if (customer.proc.child.exitCode === null) await customer.proc.stop('SIGTERM', 2000);
  await stack?.stop();
  rmSync(toneDir, { recursive: true, force: true });
});

describe('scheduled callback to its owner through the service', () => {
  it('fires, rings the owner first (masked offer), dials the customer and bridges them, ending done', async () => {
    const api = (m: string, p: string, b?: unknown) => stack.api<Record<string, unknown>>(m, p, b, stack.admin);
    expect((await api('POST', '/agents', { id: 'A1', name: 'Agent One', sipUsername: 'agent1', sipPassword: 'agent1-sip-secret', queues: [] })).status).toBe(201);
    expect((await api('POST', '/users', { username: 'agent1', password: 'agent1-login-pw', role: 'agent', agentId: 'A1' })).status).toBeLessThan(300);
    agentPhone = await startBaresip({ user: 'agent1', password: 'agent1-sip-secret', server: `127.0.0.1:${stack.engine.sipPort}`, audioFile: await toneWav(join(stack.dir, 'a.wav'), 400, 20) });
    await agentPhone.waitEvent('REGISTER_OK', 10_000);
    const tok = await stack.api<{ token: string }>('POST', '/auth/token', { username: 'agent1', password: 'agent1-login-pw' });
    ws = await WsClient.open(stack.base, tok.body.token);
    ws.send({ type: 'state', id: 'go', state: 'available' });
    expect(await ws.waitFor((f) => f.id === 'go')).toMatchObject({ type: 'ack', state: 'available' });

    const created = await api('POST', '/callbacks', { phone: PHONE, timezone: openZone(), ownerAgentId: 'A1', dueAt: new Date(Date.now() + 300).toISOString(), note: 'renewal question' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;

    const offer = await ws.waitFor((f) => f.event?.type === 'callback.offer', 15_000, 'callback offer');
    expect(offer.event).toMatchObject({ callbackId: id });
    expect(JSON.stringify(offer.event)).not.toContain(PHONE);
    await agentPhone.waitEvent('CALL_ESTABLISHED', 15_000);
    const result = await ws.waitFor((f) => f.event?.type === 'callback.offer-result', 15_000, 'offer result');
    expect(result.event).toMatchObject({ callbackId: id, outcome: 'connected' });
    await expect.poll(async () => (await api('GET', `/callbacks/${id}`)).body.status, { timeout: 5000 }).toBe('done');
    await expect.poll(async () => (await api('GET', '/agents/A1/state')).body.state, { timeout: 3000 }).toBe('on-call');

    await new Promise((r) => setTimeout(r, 1000));
    await agentPhone.command('hangup');
    expect(await customer.done, sippErrors(customer)).toBe(0);
    await expect.poll(async () => (await api('GET', '/agents/A1/state')).body.state, { timeout: 3000 }).toBe('wrap-up');
  });
});
