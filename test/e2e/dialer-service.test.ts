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
 * Progressive dialling through the whole service: a campaign and its lead list are set up over the API; on start
 * the dialer reserves the available agent (ACD agent pool), dials the lead through the trunk (sipp customer),
 * pushes the screen pop (masked) to the agent's WebSocket and bridges the customer to the agent's softphone.
 */
const PHONE = '+447911123456';
let stack: ServiceStack;
let customer: SippRun;
let agentPhone: Baresip | undefined;
let ws: WsClient | undefined;
const toneDir = mkdtempSync(join(tmpdir(), 'dialer-e2e-'));

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

describe('progressive campaign through the service', () => {
  it('dials the lead, pops the screen for the agent and bridges the customer to the agent', async () => {
    const api = (m: string, p: string, b?: unknown) => stack.api<Record<string, unknown>>(m, p, b, stack.admin);
    expect((await api('POST', '/agents', { id: 'A1', name: 'Agent One', sipUsername: 'agent1', sipPassword: 'agent1-sip-secret', queues: [] })).status).toBe(201);
    expect((await api('POST', '/users', { username: 'agent1', password: 'agent1-login-pw', role: 'agent', agentId: 'A1' })).status).toBeLessThan(300);
    agentPhone = await startBaresip({ user: 'agent1', password: 'agent1-sip-secret', server: `127.0.0.1:${stack.engine.sipPort}`, audioFile: await toneWav(join(toneDir, 'a.wav'), 400, 20) });
    await agentPhone.waitEvent('REGISTER_OK', 10_000);
    const tok = await stack.api<{ token: string }>('POST', '/auth/token', { username: 'agent1', password: 'agent1-login-pw' });
    ws = await WsClient.open(stack.base, tok.body.token);
    ws.send({ type: 'state', id: 'go', state: 'available' });
    expect(await ws.waitFor((f) => f.id === 'go')).toMatchObject({ type: 'ack', state: 'available' });

    const allDay = [{ start: '00:00', end: '24:00' }];
    const c = await api('POST', '/campaigns', {
      name: 'Renewals', trunk: 'default', callerId: '+441632960000', dialMode: 'progressive', agentIds: ['A1'], allowedPrefixes: ['+44'],
      callingWindows: { weekdays: allDay, weekends: allDay, blackouts: [] },
    });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    const id = c.body.id as string;
    const imp = await fetch(`${stack.base}/campaigns/${id}/leads/import`, { method: 'POST', headers: { ...stack.admin, 'content-type': 'text/csv' }, body: `phone,name\n${PHONE},Alice Smith\n` });
    expect(imp.status, await imp.clone().text()).toBe(200);

    expect((await api('POST', `/campaigns/${id}/start`)).status).toBe(200);
    const pop = await ws.waitFor((f) => f.event?.type === 'screen-pop', 20_000, 'screen pop');
    expect(pop.event).toMatchObject({ campaignId: id, name: 'Alice Smith' });
    expect(JSON.stringify(pop.event)).not.toContain(PHONE.slice(1));
    await agentPhone.waitEvent('CALL_ESTABLISHED', 15_000);
    await expect.poll(async () => (await api('GET', '/agents/A1/state')).body.state, { timeout: 5000 }).toBe('on-call');
    const st = await api('GET', `/campaigns/${id}/dialer`);
    expect(st.body).toMatchObject({ running: true, dialed: 1, answered: 1 });

    await new Promise((r) => setTimeout(r, 1000));
    await agentPhone.command('hangup');
    expect(await customer.done, sippErrors(customer)).toBe(0);
    expect((await api('POST', `/campaigns/${id}/pause`)).status).toBe(200);
    await expect.poll(async () => (await api('GET', '/agents/A1/state')).body.state, { timeout: 3000 }).toBe('wrap-up');
  });
});
