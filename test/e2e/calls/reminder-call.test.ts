import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { pino } from 'pino';
import { startCallStack, toneWav, type CallStack } from './stack.js';
import { startBaresip, type Baresip } from '../../support/baresip.js';
import { ReminderCall, type ReminderPrompts } from '../../../src/scheduler/reminder-call.js';
import { portfolioSchema, type Payment } from '../../../src/scheduler/payment-schema.js';
import { FakeQueueEntry } from '../../support/scheduler-fakes.js';
import type { CallChannel } from '../../../src/calls/call-channel.js';

/**
 * The payment reminder script on a real outbound call: our originator over the SIP engine + rtpengine
 * calls a baresip customer, who keys 2, a DDMM date and # and then 1 as RFC 2833 DTMF.
 */
let stack: CallStack;
let customer: Baresip;
let prompts: ReminderPrompts;

beforeAll(async () => {
  stack = await startCallStack();
  const tone = (name: string, hz: number, s: number) => toneWav(join(stack.dir, `${name}.wav`), hz, s);
  const [reminder, menu, short, mic] = await Promise.all([tone('reminder', 700, 1), tone('menu', 500, 0.6), tone('short', 900, 0.3), tone('mic', 300, 30)]);
  prompts = {
    reminder: () => [reminder], menu: () => [menu], enterDate: () => [short], readBack: () => [short, short], promiseRecorded: () => [short],
    optedOut: () => [short], transferring: () => [short], invalid: () => [short], noInput: () => [short], goodbye: () => [short],
  };
  customer = await startBaresip({ user: 'customer', password: 'x', server: `127.0.0.1:${stack.sipPort}`, audioFile: mic, register: false });
}, 60_000);

afterAll(async () => {
  await customer?.stop();
  await stack?.stop();
});

async function key(d: string): Promise<void> {
  await customer.command('sndcode', d);
  await new Promise((r) => setTimeout(r, 180));
  await customer.command('sndcode', ''); // release ends the RFC 2833 event
  await new Promise((r) => setTimeout(r, 250));
}

describe('reminder call over real SIP/RTP', () => {
  it('2 -> date by keypad -> read back -> 1 records the promise', async () => {
    const now = Date.now();
    const promise = new Date(now + 3 * 86_400_000);
    const ddmm = `${String(promise.getUTCDate()).padStart(2, '0')}${String(promise.getUTCMonth() + 1).padStart(2, '0')}`;
    const payment: Payment = {
      id: 'pay-e2e', portfolioId: 'pf', account: 'ACC-1', customer: 'Li', phone: '+442079460020', amount: 12.5, currency: 'GBP',
      dueDate: new Date(now).toISOString().slice(0, 10), timezone: 'UTC', status: 'pending', reached: false, steps: [], createdAt: now, updatedAt: now,
    };
    const r = await stack.originator.originate({ to: payment.phone, callerId: '+442000000000', trunk: `sip:customer@127.0.0.1:${customer.sipPort}` /* baresip answers its own AOR user */, ringTimeoutMs: 5000 });
    expect(r.outcome).toBe('answered');
    const call = (r as { call: CallChannel }).call;
    const script = new ReminderCall({ prompts: () => prompts, queue: new FakeQueueEntry(), log: pino({ level: 'silent' }), firstDigitTimeoutMs: 8000, interDigitTimeoutMs: 4000 });
    const running = script.run(call, payment, portfolioSchema.parse({ id: 'pf', allowedPrefixes: ['+44'] }));

    await customer.waitEvent('CALL_ESTABLISHED', 10_000);
    await new Promise((res) => setTimeout(res, 1800)); // the reminder plays, the menu starts
    await key('2');
    await new Promise((res) => setTimeout(res, 600)); // "enter the date"
    for (const d of `${ddmm}#`) await key(d);
    await new Promise((res) => setTimeout(res, 1200)); // read back
    await key('1');

    const result = await running;
    await call.hangup();
    expect(result).toEqual({ result: 'promised', promiseDate: promise.toISOString().slice(0, 10) });
    await customer.waitEvent('CALL_CLOSED', 10_000);
  }, 60_000);
});
