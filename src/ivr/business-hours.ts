import { z } from 'zod';
import { localParts } from '../compliance/zoned-time.js';
import { isValidZone } from '../leads/phone.js';

/**
 * Business-hours calendars: weekly opening hours in an IANA zone, holiday dates (closed all day) and
 * special-hours dates (replace the weekly hours that day, e.g. a half day). Evaluated with Intl only.
 */

const HHMM = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

export const openRangeSchema = z.object({
  open: z.string().regex(HHMM, 'time as HH:MM'),
  close: z.string().regex(HHMM, 'time as HH:MM (24:00 = midnight)'),
}).refine((r) => toMinutes(r.open) < toMinutes(r.close), { message: 'open must be before close (split overnight hours over two days)', path: ['close'] });

const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const ANNUAL = /^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const ranges = z.array(openRangeSchema).max(10);
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export const calendarSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'calendar id: letters, digits, _ . - (max 64)'),
  name: z.string().min(1).max(200),
  timeZone: z.string().refine(isValidZone, 'unknown IANA time zone'),
  /** Missing day = closed. */
  weekly: z.object({
    sun: ranges.default([]), mon: ranges.default([]), tue: ranges.default([]), wed: ranges.default([]),
    thu: ranges.default([]), fri: ranges.default([]), sat: ranges.default([]),
  }).strict(),
  /** `YYYY-MM-DD` (that date) or `MM-DD` (every year). */
  holidays: z.array(z.object({
    date: z.string().refine((d) => DATE.test(d) || ANNUAL.test(d), 'date as YYYY-MM-DD, or MM-DD for every year'),
    name: z.string().max(200).optional(),
  })).max(500).default([]),
  /** Dates with their own hours (override weekly hours and holidays); empty hours = closed. */
  special: z.array(z.object({
    date: z.string().regex(DATE, 'date as YYYY-MM-DD'),
    hours: ranges,
    name: z.string().max(200).optional(),
  })).max(500).default([]),
});

export type CalendarInput = z.input<typeof calendarSchema>;
export type Calendar = z.infer<typeof calendarSchema>;

export interface HoursState {
  open: boolean;
  holiday: boolean;
  /** Why: 'weekly', 'holiday:<name>', 'special:<date>'. */
  reason: string;
  /** Local date and time in the calendar's zone, for logs. */
  local: string;
}

const pad = (n: number) => String(n).padStart(2, '0');

export function hoursState(cal: Calendar, at: Date): HoursState {
  const p = localParts(at.getTime(), cal.timeZone);
  const date = `${p.year}-${pad(p.month)}-${pad(p.day)}`;
  const annual = `${pad(p.month)}-${pad(p.day)}`;
  const local = `${date} ${pad(Math.floor(p.minuteOfDay / 60))}:${pad(Math.floor(p.minuteOfDay % 60))}`;
  const within = (rs: { open: string; close: string }[]) => rs.some((r) => p.minuteOfDay >= toMinutes(r.open) && p.minuteOfDay < toMinutes(r.close));

  const special = cal.special.find((s) => s.date === date);
  if (special) return { open: within(special.hours), holiday: false, reason: `special:${date}`, local };
  const holiday = cal.holidays.find((h) => h.date === date || h.date === annual);
  if (holiday) return { open: false, holiday: true, reason: `holiday:${holiday.name ?? holiday.date}`, local };
  return { open: within(cal.weekly[WEEKDAYS[p.weekday]]), holiday: false, reason: 'weekly', local };
}

/** Where branch nodes find calendars (the IVR store in production). */
export interface CalendarSource {
  getCalendar(id: string): Promise<Calendar | null>;
}
