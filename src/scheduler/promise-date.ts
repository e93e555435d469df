import { isRealDate } from './payment-schema.js';

export interface DateParts {
  year: number;
  month: number;
  day: number;
}

export type PromiseDateParse = { ok: true; date: string } | { ok: false; reason: 'format' | 'not-a-date' | 'in-the-past' | 'too-far' };

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
export const isoOf = (p: DateParts): string => `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;

function dayNumber(p: DateParts): number {
  return Date.UTC(p.year, p.month - 1, p.day) / 86_400_000;
}

/**
 * A promise-to-pay date typed on the keypad: YYYYMMDD, or DDMM (this year, or next year when that day
 * has passed). Must be a calendar date from today (the customer's local date) to today + maxDays.
 */
export function parsePromiseDate(digits: string, today: DateParts, maxDays: number): PromiseDateParse {
  let p: DateParts;
  if (/^\d{8}$/.test(digits)) {
    p = { year: Number(digits.slice(0, 4)), month: Number(digits.slice(4, 6)), day: Number(digits.slice(6, 8)) };
  } else if (/^\d{4}$/.test(digits)) {
    p = { year: today.year, month: Number(digits.slice(2, 4)), day: Number(digits.slice(0, 2)) };
    if (isRealDate(isoOf(p)) && dayNumber(p) < dayNumber(today)) p = { ...p, year: today.year + 1 };
  } else {
    return { ok: false, reason: 'format' };
  }
  const iso = isoOf(p);
  if (!isRealDate(iso)) return { ok: false, reason: 'not-a-date' };
  const diff = dayNumber(p) - dayNumber(today);
  if (diff < 0) return { ok: false, reason: 'in-the-past' };
  if (diff > maxDays) return { ok: false, reason: 'too-far' };
  return { ok: true, date: iso };
}

/** Today's calendar date in a zone. */
export function localDate(atMs: number, timeZone: string): DateParts {
  const f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' });
  const p = Object.fromEntries(f.formatToParts(new Date(atMs)).map((x) => [x.type, x.value]));
  return { year: Number(p.year), month: Number(p.month), day: Number(p.day) };
}
