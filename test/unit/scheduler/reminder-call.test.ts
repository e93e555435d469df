import { describe, expect, it } from 'vitest';
import { ReminderCall, promptSetReminderPrompts, type PromptSetLike, type ReminderPrompts } from '../../../src/scheduler/reminder-call.js';
import { parsePromiseDate } from '../../../src/scheduler/promise-date.js';
import { parsePaymentCsv } from '../../../src/scheduler/payment-csv.js';
import type { Payment, Portfolio } from '../../../src/scheduler/payment-schema.js';
import { portfolioSchema } from '../../../src/scheduler/payment-schema.js';
import { FakeQueueEntry, ScriptedChannel, silentLog, type Keypress } from '../../support/scheduler-fakes.js';

/** Prompt files named after what they say, so assertions read like the call. */
const prompts: ReminderPrompts = {
  reminder: (r) => [`reminder:${r.amount}${r.currency}:${r.dueDate.year}-${r.dueDate.month}-${r.dueDate.day}`],
  menu: () => ['menu'],
  enterDate: () => ['enter-date'],
  readBack: (d) => [`you-entered:${d.year}-${d.month}-${d.day}`, 'press-1-confirm'],
  promiseRecorded: () => ['promise-recorded'],
  optedOut: () => ['opted-out'],
  transferring: () => ['transferring'],
  invalid: () => ['invalid'],
  noInput: () => ['no-input'],
  goodbye: () => ['goodbye'],
};

const payment: Payment = {
  id: 'pay-1', portfolioId: 'pf', account: 'ACC-9', customer: 'Li Lei', phone: '+8613800138000', amount: 1234.5, currency: 'CNY',
  dueDate: '2026-12-01', timezone: 'Asia/Shanghai', status: 'pending', reached: false, steps: [], createdAt: 0, updatedAt: 0,
};
const portfolio: Portfolio = portfolioSchema.parse({ id: 'pf', allowedPrefixes: ['+86'], queueId: 'collections', maxPromiseDays: 30 });
// 2026-11-25 10:00 in Shanghai
const NOW = Date.parse('2026-11-25T02:00:00Z');

function setup(keys: Keypress[]) {
  const queue = new FakeQueueEntry();
  const call = new ReminderCall({ prompts: () => prompts, queue, log: silentLog, now: () => NOW });
  const ch = new ScriptedChannel(payment.phone, keys);
  return { queue, ch, run: () => call.run(ch, payment, portfolio) };
}

describe('reminder call script', () => {
  it('speaks amount and due date, then 2: promise by YYYYMMDD, read back, confirm with 1', async () => {
    const { ch, run } = setup([{ digits: '2' }, { digits: '20261203', reason: 'max' }, { digits: '1' }]);
    const r = await run();
    expect(r).toEqual({ result: 'promised', promiseDate: '2026-12-03' });
    expect(ch.played.flat()).toEqual([
      'reminder:1234.5CNY:2026-12-1', 'menu', 'enter-date', 'you-entered:2026-12-3', 'press-1-confirm', 'promise-recorded', 'goodbye',
    ]);
    expect(ch.collects[1]).toMatchObject({ max: 8, min: 4, finishOnKey: '#' });
  });

  it('DDMM with #; a bad date is refused and asked again; not confirming asks again', async () => {
    const { ch, run } = setup([{ digits: '2' }, { digits: '3102', reason: 'finish-key' }, { digits: '0512', reason: 'finish-key' }, { digits: '9' }, { digits: '0612', reason: 'finish-key' }, { digits: '1' }]);
    const r = await run();
    expect(r).toEqual({ result: 'promised', promiseDate: '2026-12-06' });
    expect(ch.played.flat()).toContain('invalid');
    expect(ch.played.flat().filter((f) => f.startsWith('you-entered'))).toEqual(['you-entered:2026-12-5', 'you-entered:2026-12-6']);
  });

  it('1: queues for an agent with the account in the screen pop', async () => {
    const { ch, queue, run } = setup([{ digits: '1' }]);
    const r = await run();
    expect(r).toEqual({ result: 'agent', queueOutcome: 'completed' });
    expect(queue.entries[0]).toMatchObject({ callId: ch.callId, opts: { queueId: 'collections', vars: { account: 'ACC-9', paymentId: 'pay-1', customer: 'Li Lei' } } });
  });

  it('3: opts out', async () => {
    const { ch, run } = setup([{ digits: '3' }]);
    expect(await run()).toEqual({ result: 'opted-out' });
    expect(ch.played.flat().slice(-2)).toEqual(['opted-out', 'goodbye']);
  });

  it('no key at all is voicemail (retried); hang-up after a key is reached', async () => {
    expect((await setup([]).run()).result).toBe('voicemail');
    expect((await setup(['hangup']).run()).result).toBe('voicemail');
    expect((await setup([{ digits: '7' }, 'hangup']).run()).result).toBe('reached');
    expect((await setup([{ digits: '2' }, 'hangup']).run()).result).toBe('reached');
  });
});

describe('promise date', () => {
  const today = { year: 2026, month: 12, day: 20 };
  it('YYYYMMDD and DDMM (rolling into next year), within the limit', () => {
    expect(parsePromiseDate('20261224', today, 30)).toEqual({ ok: true, date: '2026-12-24' });
    expect(parsePromiseDate('0501', today, 30)).toEqual({ ok: true, date: '2027-01-05' });
    expect(parsePromiseDate('2012', today, 30)).toEqual({ ok: true, date: '2026-12-20' });
    expect(parsePromiseDate('20261219', today, 30)).toEqual({ ok: false, reason: 'in-the-past' });
    expect(parsePromiseDate('20270301', today, 30)).toEqual({ ok: false, reason: 'too-far' });
    expect(parsePromiseDate('3102', today, 400)).toEqual({ ok: false, reason: 'not-a-date' });
    expect(parsePromiseDate('123', today, 30)).toEqual({ ok: false, reason: 'format' });
  });
});

describe('prompt-set adapter', () => {
  it('uses catalog keys and falls back where the reminder keys are not recorded yet', () => {
    const have = new Set(['press', 'to-speak-to-agent', 'to-pay-now', 'to-opt-out', 'to-confirm', 'beep', 'thank-you', 'goodbye', 'transferring', 'invalid-entry', 'no-input']);
    const set: PromptSetLike = {
      has: (k) => have.has(k),
      file: (k, lang) => `/p/${lang}/${k}.wav`,
      sayDigits: (s, lang) => s.split('').map((d) => `/p/${lang}/digit-${d}.wav`),
      sayDate: (d, lang) => [`/p/${lang}/date-${d.month}-${d.day}.wav`],
      sayPaymentReminder: (r, lang) => [`/p/${lang}/payment-reminder.wav`, `/p/${lang}/amount-${r.amount}.wav`],
    };
    const en = promptSetReminderPrompts(set)('en');
    expect(en.menu()).toEqual([
      '/p/en/press.wav', '/p/en/digit-1.wav', '/p/en/to-speak-to-agent.wav',
      '/p/en/press.wav', '/p/en/digit-2.wav', '/p/en/to-pay-now.wav',
      '/p/en/press.wav', '/p/en/digit-3.wav', '/p/en/to-opt-out.wav',
    ]);
    expect(en.enterDate()).toEqual(['/p/en/beep.wav']);
    have.add('enter-promise-date');
    expect(en.enterDate()).toEqual(['/p/en/enter-promise-date.wav']);
    expect(promptSetReminderPrompts(set)('zh').menu().slice(0, 3)).toEqual(['/p/zh/to-speak-to-agent.wav', '/p/zh/press.wav', '/p/zh/digit-1.wav']);
  });
});

describe('payments CSV', () => {
  it('reports bad rows by line and keeps the good ones', async () => {
    const csv = [
      'account,customer,phone,amount,currency,due_date,timezone,status',
      'A1,Li Lei,13800138000,100.50,cny,2026-12-01,Asia/Shanghai,',
      'A2,Han Meimei,13800138001,-5,CNY,2026-12-01,Asia/Shanghai,',
      'A3,Li "x" Lei,13800138002,5,CNY,2026-12-01,Asia/Shanghai,',
      'A4,Wang,13800138003,"1,200",USD,2026-02-30,Asia/Shanghai,',
      'A5,"Zhao ""Q"" Jr",13800138004,"1,200",EUR,2026-12-05,Europe/Berlin,PAID',
      'A6,Qian,13800138005,20,EUR,2026-12-05',
    ].join('\n');
    const good: [number, string, number, string, string][] = [];
    const bad: { line: number; message: string }[] = [];
    for await (const r of parsePaymentCsv(csv)) {
      if ('error' in r) bad.push(r.error);
      else good.push([r.line, r.input.account, r.input.amount, r.input.currency, r.input.status]);
    }
    expect(good).toEqual([[2, 'A1', 100.5, 'CNY', 'due'], [6, 'A5', 1200, 'EUR', 'paid']]);
    bad.sort((a, b) => a.line - b.line);
    expect(bad.map((e) => e.line)).toEqual([3, 4, 5, 7]);
    expect(bad[0].message).toMatch(/amount/);
    expect(bad[1].message).toMatch(/quote/i);
    expect(bad[2].message).toMatch(/dueDate/);
    expect(bad[3].message).toMatch(/timezone/);
  });

  it('stops after maxRows with an error naming the line', async () => {
    const head = 'account,customer,phone,amount,currency,due_date,timezone';
    const body = Array.from({ length: 5 }, (_, i) => `A${i},C,1380013800${i},1,CNY,2099-01-01,UTC`);
    const out = [];
    for await (const r of parsePaymentCsv([head, ...body].join('\n'), { maxRows: 3 })) out.push(r);
    expect(out.filter((r) => 'input' in r)).toHaveLength(3);
    expect(out.at(-1)).toEqual({ error: { line: 5, message: expect.stringMatching(/more than 3 rows/) } });
  });

  it('a header without the needed columns is one error', async () => {
    const rows = [];
    for await (const r of parsePaymentCsv('acct,phone\nA1,1380013800\n')) rows.push(r);
    expect(rows).toEqual([{ error: { line: 1, message: expect.stringMatching(/account, customer, amount, currency, dueDate, timezone/) } }]);
  });
});
