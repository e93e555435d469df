import type { CallChannel, CollectResult, PromptFile } from '../calls/call-channel.js';
import type { Logger } from '../logger.js';
import { callLogger } from '../logger.js';
import type { CurrencyCode, Lang } from '../media/prompt-catalog.js';
import type { QueueOutcome } from '../queue/queue-outcome.js';
import type { Payment, Portfolio } from './payment-schema.js';
import { localDate, parsePromiseDate, type DateParts } from './promise-date.js';
import type { QueueEntry } from './ports.js';

/** The files each step of the reminder speaks (promptSetReminderPrompts builds them from src/media/prompts.ts). */
export interface ReminderPrompts {
  /** "This is a friendly reminder that a payment of <amount> is due on <date>." */
  reminder(p: { amount: number; currency: CurrencyCode; dueDate: DateParts }): PromptFile[];
  /** "Press 1 to speak to an agent, press 2 to promise a payment date, press 3 to stop these reminders." */
  menu(): PromptFile[];
  enterDate(): PromptFile[];
  /** "You entered <date>. Press 1 to confirm." */
  readBack(date: DateParts): PromptFile[];
  promiseRecorded(): PromptFile[];
  optedOut(): PromptFile[];
  transferring(): PromptFile[];
  invalid(): PromptFile[];
  noInput(): PromptFile[];
  goodbye(): PromptFile[];
}

export interface ReminderCallResult {
  /**
   * reached: heard the message and pressed something (or nothing to act on); voicemail: answered but no key
   * was ever pressed (answering machine or silent listener: retried like no-answer).
   */
  result: 'reached' | 'promised' | 'opted-out' | 'agent' | 'voicemail';
  promiseDate?: string;
  queueOutcome?: QueueOutcome['outcome'];
}

/** Runs the reminder on an answered call; the job handler records the result. */
export interface ReminderCallRunner {
  run(call: CallChannel, payment: Payment, portfolio: Portfolio): Promise<ReminderCallResult>;
}

export interface ReminderCallOptions {
  prompts: (lang: Lang) => ReminderPrompts;
  /** Key 1: the ACD (with the account in the screen pop). Without it key 1 counts as invalid. */
  queue?: QueueEntry;
  log: Logger;
  now?: () => number;
  menuTries?: number;
  firstDigitTimeoutMs?: number;
  interDigitTimeoutMs?: number;
}

const parts = (iso: string): DateParts => {
  const [year, month, day] = iso.split('-').map(Number);
  return { year, month, day };
};

/**
 * The payment reminder as code over CallChannel (agentless call): amount and due date, then
 * 1 talk to an agent, 2 promise to pay (date by keypad, read back, confirm with 1), 3 stop reminders.
 */
export class ReminderCall implements ReminderCallRunner {
  constructor(private readonly o: ReminderCallOptions) {}

  async run(call: CallChannel, payment: Payment, portfolio: Portfolio): Promise<ReminderCallResult> {
    const log = callLogger(this.o.log, call.callId, { paymentId: payment.id });
    const p = this.o.prompts(portfolio.lang);
    const first = this.o.firstDigitTimeoutMs ?? 6000;
    const inter = this.o.interDigitTimeoutMs ?? 3000;
    let pressed = false;
    const collect = async (max: number, min = 1, finishOnKey?: string): Promise<CollectResult> => {
      const r = await call.collectDigits({ max, min, firstDigitTimeoutMs: first, interDigitTimeoutMs: inter, ...(finishOnKey ? { finishOnKey } : {}) });
      if (r.digits) pressed = true;
      return r;
    };
    const gone = (r?: CollectResult) => call.ended || r?.reason === 'hangup';
    const end = (r: ReminderCallResult): ReminderCallResult => {
      log.info({ result: r.result, promiseDate: r.promiseDate }, 'reminder call finished');
      return r;
    };
    const notReached = () => end({ result: pressed ? 'reached' : 'voicemail' });

    await call.play(p.reminder({ amount: payment.amount, currency: payment.currency, dueDate: parts(payment.dueDate) }), { bargeIn: true });
    for (let i = 0; i < (this.o.menuTries ?? 3) && !call.ended; i++) {
      await call.play(p.menu(), { bargeIn: true });
      const r = await collect(1);
      if (gone(r)) return notReached();
      if (r.digits === '') {
        await call.play(p.noInput());
        continue;
      }
      if (r.digits === '1' && this.o.queue) {
        await call.play(p.transferring());
        const q = await this.o.queue.enqueue(call, {
          queueId: portfolio.queueId, priority: 5,
          vars: {
            paymentId: payment.id, account: payment.account, customer: payment.customer, amount: String(payment.amount),
            currency: payment.currency, dueDate: payment.dueDate, portfolioId: payment.portfolioId, reason: 'payment-reminder',
          },
        });
        return end({ result: 'agent', queueOutcome: q.outcome });
      }
      if (r.digits === '2') {
        const date = await this.promise(call, p, payment, portfolio, collect);
        if (date) return end({ result: 'promised', promiseDate: date });
        if (call.ended) return end({ result: 'reached' });
        continue;
      }
      if (r.digits === '3') {
        await call.play([...p.optedOut(), ...p.goodbye()]);
        return end({ result: 'opted-out' });
      }
      await call.play(p.invalid());
    }
    if (!call.ended) await call.play(p.goodbye());
    return notReached();
  }

  /** Date by keypad (YYYYMMDD or DDMM, # ends), read back, 1 confirms. Returns the ISO date or null. */
  private async promise(
    call: CallChannel, p: ReminderPrompts, payment: Payment, portfolio: Portfolio,
    collect: (max: number, min?: number, finish?: string) => Promise<CollectResult>,
  ): Promise<string | null> {
    const today = localDate((this.o.now ?? Date.now)(), payment.timezone);
    for (let i = 0; i < 3 && !call.ended; i++) {
      await call.play(p.enterDate(), { bargeIn: true });
      const r = await collect(8, 4, '#');
      if (call.ended || r.reason === 'hangup') return null;
      const parsed = parsePromiseDate(r.digits, today, portfolio.maxPromiseDays);
      if (!parsed.ok) {
        await call.play(r.digits === '' ? p.noInput() : p.invalid());
        continue;
      }
      await call.play(p.readBack(parts(parsed.date)), { bargeIn: true });
      const k = await collect(1);
      if (call.ended || k.reason === 'hangup') return null;
      if (k.digits === '1') {
        await call.play([...p.promiseRecorded(), ...p.goodbye()]);
        return parsed.date;
      }
    }
    return null;
  }
}

/** The subset of src/media/prompts.ts PromptSet used here. */
export interface PromptSetLike {
  file(key: string, lang?: Lang): string;
  has(key: string, lang?: Lang): boolean;
  sayDigits(s: string, lang?: Lang): string[];
  sayDate(d: DateParts, lang?: Lang, opts?: { year?: boolean }): string[];
  sayPaymentReminder(r: { amount: number; currency: CurrencyCode; dueDate: DateParts }, lang?: Lang): string[];
}

/**
 * Reminder prompts from the prompt set. Keys this script adds to the catalog (until the media set has
 * them, the fallback in brackets plays): to-promise-to-pay [to-pay-now], enter-promise-date [beep],
 * you-entered [none], promise-recorded [thank-you], reminders-stopped [thank-you].
 */
export function promptSetReminderPrompts(set: PromptSetLike): (lang: Lang) => ReminderPrompts {
  return (lang) => {
    const one = (key: string, fallback?: string): string[] =>
      set.has(key, lang) ? [set.file(key, lang)] : fallback && set.has(fallback, lang) ? [set.file(fallback, lang)] : [];
    const press = (digit: string, action: string, fallback?: string): string[] => {
      const act = one(action, fallback);
      const key = [...one('press'), ...set.sayDigits(digit, lang)];
      return lang === 'zh' ? [...act, ...key] : [...key, ...act];
    };
    return {
      reminder: (r) => set.sayPaymentReminder(r, lang),
      menu: () => [...press('1', 'to-speak-to-agent'), ...press('2', 'to-promise-to-pay', 'to-pay-now'), ...press('3', 'to-opt-out')],
      enterDate: () => one('enter-promise-date', 'beep'),
      readBack: (d) => [...one('you-entered'), ...set.sayDate(d, lang), ...press('1', 'to-confirm')],
      promiseRecorded: () => one('promise-recorded', 'thank-you'),
      optedOut: () => one('reminders-stopped', 'thank-you'),
      transferring: () => one('transferring'),
      invalid: () => one('invalid-entry'),
      noInput: () => one('no-input'),
      goodbye: () => one('goodbye'),
    };
  };
}
