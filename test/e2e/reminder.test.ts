import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServiceStack, type ServiceStack } from './stack/service-stack.js';
import { audibleStats, toneWav } from './calls/stack.js';
import { startBaresip, type Baresip } from '../support/baresip.js';

/**
 * A payment reminder through the whole service: portfolio and payment created over the API, the BullMQ worker
 * fires the reminder, the DialGuard (portfolio window, DNC) lets it through, the originator calls the customer
 * (baresip behind the trunk), the reminder plays from the generated prompt set and key 3 (RFC 2833) puts the
 * number on the portfolio's DNC list.
 */
const PHONE = '+447911123456';
let stack: ServiceStack;
let customer: Baresip;
const dir = mkdtempSync(join(tmpdir(), 'reminder-e2e-'));

beforeAll(async () => {
  customer = await startBaresip({ user: 'customer', password: 'unused-pw', server: '127.0.0.1:9', audioFile: await toneWav(join(dir, 'mic.wav'), 300, 60), register: false });
  // the trunk reaches the customer's softphone; the number rides along as a URI parameter
  stack = await startServiceStack({ TRUNK_URI_TEMPLATE: `sip:customer@127.0.0.1:${customer.sipPort};n={number}` });
});

afterAll(async () => {
  await customer?.stop();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('payment reminder through the service', () => {
  it('fires, calls the customer, and key 3 opts the number out of the portfolio', async () => {
    const api = (m: string, p: string, b?: unknown) => stack.api<Record<string, unknown>>(m, p, b, stack.admin);
    const now = new Date();
    const hhmm = now.toISOString().slice(11, 16); // this minute: due now (fire time <= now, within the late grace)
    const allDay = [{ start: '00:00', end: '24:00' }];
    const pf = await api('PUT', '/payments/portfolios/loans', {
      name: 'Loans', offsetsDays: [0], timeOfDay: hhmm, callerId: '+441632960000', allowedPrefixes: ['+44'],
      callingWindows: { weekdays: allDay, weekends: allDay, blackouts: [] },
    });
    expect(pf.status, JSON.stringify(pf.body)).toBe(200);
    const pay = await api('POST', '/payments', {
      portfolioId: 'loans', account: 'ACC-1', customer: 'Alice Smith', phone: PHONE, amount: 120.5, currency: 'GBP',
      dueDate: now.toISOString().slice(0, 10), timezone: 'UTC',
    });
    expect(pay.status, JSON.stringify(pay.body)).toBe(201);
    const id = pay.body.id as string;

    await customer.waitEvent('CALL_ESTABLISHED', 15_000);
    // press 3 every 1.5 s until the reminder hangs up (the menu follows the amount and date)
    const closed = customer.waitEvent('CALL_CLOSED', 30_000);
    let done = false;
    void closed.then(() => (done = true), () => (done = true));
    while (!done) {
      await customer.command('sndcode', '3');
      await new Promise((r) => setTimeout(r, 180));
      await customer.command('sndcode', '');
      await new Promise((r) => setTimeout(r, 1300));
    }
    await closed;

    await expect.poll(async () => JSON.stringify((await api('GET', `/payments/${id}`)).body.outcomes), { timeout: 5000 }).toContain('opted-out');
    const dnc = await api('GET', `/dnc/check/${encodeURIComponent(PHONE)}?campaignId=loans`);
    expect(dnc.body).toMatchObject({ listed: true, entry: { phone: PHONE, scope: 'campaign:loans', source: 'ivr-opt-out' } });
    expect((await api('GET', `/dnc/check/${encodeURIComponent(PHONE)}?campaignId=other`)).body).toEqual({ listed: false });
    // what the customer heard: seconds of the spoken reminder, not silence
    const heard = customer.dumps().find((f) => f.endsWith('-dec.wav'));
    expect(heard, customer.dumps().join(',')).toBeDefined();
    const stats = await audibleStats(heard as string, join(dir, 'heard.wav'));
    expect(stats.seconds).toBeGreaterThan(1.5);
    expect(stats.rms).toBeGreaterThan(0.01);
  });
});
