import type { CurrencyCode, Lang } from './prompt-catalog.js';

/**
 * Spoken forms as sequences of prompt keys (prompt-catalog.ts). Pure functions: PromptSet turns the keys
 * into files. Numbers cover 0..999,999,999 in English (US, no "and") and Mandarin grammar
 * (万/亿 groups, 零 for skipped places, 十 for a leading 一十, 两 before 百/千/万/亿).
 */

export const MAX_SAY_NUMBER = 999_999_999;

function checkInt(n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > MAX_SAY_NUMBER) throw new RangeError(`cannot say ${n}: integers 0..${MAX_SAY_NUMBER} only`);
}

/** Digit by digit: phone numbers, account numbers, confirmation codes. '*' and '#' too; other characters are skipped. */
export function sayDigits(s: string, _lang: Lang = 'en'): string[] {
  const out: string[] = [];
  for (const ch of s) {
    if (ch >= '0' && ch <= '9') out.push(`digit-${ch}`);
    else if (ch === '*') out.push('digit-star');
    else if (ch === '#') out.push('digit-hash');
  }
  return out;
}

function en3(g: number): string[] {
  const out: string[] = [];
  const h = Math.floor(g / 100);
  const r = g % 100;
  if (h) out.push(`n-${h}`, 'hundred');
  if (r >= 20) {
    out.push(`n-${Math.floor(r / 10) * 10}`);
    if (r % 10) out.push(`n-${r % 10}`);
  } else if (r > 0) out.push(`n-${r}`);
  return out;
}

function enNumber(n: number): string[] {
  if (n === 0) return ['n-0'];
  const m = Math.floor(n / 1e6);
  const k = Math.floor(n / 1e3) % 1e3;
  const r = n % 1e3;
  return [...(m ? [...en3(m), 'million'] : []), ...(k ? [...en3(k), 'thousand'] : []), ...en3(r)];
}

/** One 4-digit group (1..9999). `leading`: first group of the number; `unit`: the group is followed by 万/亿. */
function zh4(g: number, leading: boolean, unit: boolean): string[] {
  const d = [Math.floor(g / 1000), Math.floor(g / 100) % 10, Math.floor(g / 10) % 10, g % 10];
  const units = ['unit-1000', 'unit-100', 'unit-10', ''];
  const out: string[] = [];
  let emitted = false;
  let zero = false;
  for (let i = 0; i < 4; i++) {
    if (d[i] === 0) {
      if (emitted) zero = true;
      continue;
    }
    if (zero) out.push('digit-0');
    zero = false;
    let word: string | undefined = `digit-${d[i]}`;
    if (d[i] === 2 && (i === 0 || i === 1)) word = 'liang';
    if (d[i] === 2 && i === 3 && g === 2 && unit) word = 'liang';
    if (d[i] === 1 && i === 2 && leading && !emitted) word = undefined; // 十二, not 一十二
    if (word) out.push(word);
    if (units[i]) out.push(units[i]);
    emitted = true;
  }
  return out;
}

function zhNumber(n: number): string[] {
  if (n === 0) return ['digit-0'];
  const groups: [number, string | undefined][] = [
    [Math.floor(n / 1e8), 'unit-1e8'],
    [Math.floor(n / 1e4) % 1e4, 'unit-1e4'],
    [n % 1e4, undefined],
  ];
  const out: string[] = [];
  let started = false;
  let zero = false;
  for (const [g, unit] of groups) {
    if (g === 0) {
      if (started) zero = true;
      continue;
    }
    if (started && (zero || g < 1000)) out.push('digit-0');
    out.push(...zh4(g, !started, unit !== undefined));
    if (unit) out.push(unit);
    started = true;
    zero = false;
  }
  return out;
}

export function sayNumber(n: number, lang: Lang = 'en'): string[] {
  checkInt(n);
  return lang === 'zh' ? zhNumber(n) : enNumber(n);
}

export interface DateParts {
  year: number;
  month: number;
  day: number;
}

/** Calendar date in a time zone (default UTC) from a Date, or explicit parts. */
export function dateParts(d: Date | DateParts, timeZone = 'UTC'): DateParts & { weekday: number } {
  if (!(d instanceof Date)) {
    const wd = new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay();
    return { ...d, weekday: wd };
  }
  const f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric', weekday: 'short' });
  const p = Object.fromEntries(f.formatToParts(d).map((x) => [x.type, x.value]));
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(p.weekday);
  return { year: Number(p.year), month: Number(p.month), day: Number(p.day), weekday };
}

/** "twenty twenty six", "nineteen oh five", "two thousand eight". */
function enYear(y: number): string[] {
  if (y >= 2000 && y < 2010) return enNumber(y);
  if (y >= 1100 && y < 10000) {
    const hi = Math.floor(y / 100);
    const lo = y % 100;
    if (lo === 0) return [...enNumber(hi), 'hundred'];
    return [...enNumber(hi), ...(lo < 10 ? ['oh', `n-${lo}`] : enNumber(lo))];
  }
  return enNumber(y);
}

export function sayDate(d: Date | DateParts, lang: Lang = 'en', opts: { timeZone?: string; weekday?: boolean; year?: boolean } = {}): string[] {
  const p = dateParts(d, opts.timeZone);
  if (p.month < 1 || p.month > 12 || p.day < 1 || p.day > 31) throw new RangeError(`bad date ${JSON.stringify(p)}`);
  const withYear = opts.year ?? true;
  if (lang === 'zh') {
    return [
      ...(withYear ? [...sayDigits(String(p.year)), 'year'] : []),
      ...zhNumber(p.month), 'month',
      ...zhNumber(p.day), 'day',
      ...(opts.weekday ? [`weekday-${p.weekday}`] : []),
    ];
  }
  return [
    ...(opts.weekday ? [`weekday-${p.weekday}`] : []),
    `month-${p.month}`, `ord-${p.day}`,
    ...(withYear ? enYear(p.year) : []),
  ];
}

/** An amount in major units (12.5 = twelve dollars and fifty cents), rounded to the minor unit. */
export function sayCurrency(amount: number, currency: CurrencyCode, lang: Lang = 'en'): string[] {
  if (!Number.isFinite(amount) || amount < 0) throw new RangeError(`cannot say amount ${amount}`);
  const cents = Math.round(amount * 100);
  const major = Math.floor(cents / 100);
  const minor = cents % 100;
  checkInt(major);
  if (lang === 'zh') {
    const num = (n: number) => (n === 2 ? ['liang'] : zhNumber(n));
    if (currency === 'CNY') {
      const jiao = Math.floor(minor / 10);
      const fen = minor % 10;
      const out: string[] = [];
      if (major > 0 || minor === 0) out.push(...num(major), 'cur-CNY-major');
      if (jiao > 0) out.push(...num(jiao), 'cur-CNY-jiao');
      if (fen > 0) out.push(...(jiao === 0 && major > 0 ? ['digit-0'] : []), ...num(fen), 'cur-CNY-minor');
      return out;
    }
    const out: string[] = [];
    if (major > 0 || minor === 0) out.push(...num(major), `cur-${currency}-major`);
    if (minor > 0) out.push(...(major > 0 ? ['digit-0'] : []), ...zhNumber(minor), `cur-${currency}-minor`);
    return out;
  }
  const out: string[] = [];
  if (major > 0 || minor === 0) out.push(...enNumber(major), major === 1 ? `cur-${currency}-major-one` : `cur-${currency}-major`);
  if (minor > 0) {
    if (major > 0) out.push('and');
    out.push(...enNumber(minor), minor === 1 ? `cur-${currency}-minor-one` : `cur-${currency}-minor`);
  }
  return out;
}

/** Queue position: "you are caller number three" / "您是第三位来电者". */
export function sayCallerNumber(position: number, lang: Lang = 'en'): string[] {
  return lang === 'zh'
    ? ['you-are-caller-number', ...zhNumber(position), 'caller-number-suffix']
    : ['you-are-caller-number', ...sayNumber(position, 'en')];
}

export type PressAction = 'to-speak-to-agent' | 'to-confirm' | 'to-repeat' | 'to-opt-out' | 'to-pay-now';

/** A menu option: "press one to confirm" / "确认请按一". */
export function sayPress(digit: string, action: PressAction, lang: Lang = 'en'): string[] {
  return lang === 'zh' ? [action, 'press', ...sayDigits(digit)] : ['press', ...sayDigits(digit), action];
}

/** "This is a friendly reminder that a payment of <amount> is due on <date>." */
export function sayPaymentReminder(
  r: { amount: number; currency: CurrencyCode; dueDate: Date | DateParts; timeZone?: string },
  lang: Lang = 'en',
): string[] {
  const amount = sayCurrency(r.amount, r.currency, lang);
  const date = sayDate(r.dueDate, lang, { timeZone: r.timeZone });
  return lang === 'zh'
    ? ['payment-reminder', ...amount, 'payment-due-suffix', ...date, 'is-due-on']
    : ['payment-reminder', ...amount, 'is-due-on', ...date];
}
