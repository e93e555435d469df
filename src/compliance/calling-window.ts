import { z } from 'zod';
import { addDays, localParts, zonedToUtc } from './zoned-time.js';

const hhmm = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'expected HH:MM (00:00-24:00)');

export const timeRangeSchema = z
  .object({ start: hhmm, end: hhmm })
  .refine((r) => toMinutes(r.start) < toMinutes(r.end), 'start must be before end (ranges do not cross midnight)');

export const blackoutSchema = timeRangeSchema.and(z.object({
  days: z.enum(['all', 'weekdays', 'weekends']).default('all'),
  label: z.string().max(60).optional(),
}));

/**
 * When a lead may be called, in the lead's local time. Seeds: no early morning, late night or meal times;
 * the numbers are our defaults (09:00-21:00, lunch 12:00-13:30, evening meal 18:00-19:00), configurable per campaign.
 */
export const callingWindowsSchema = z.object({
  weekdays: z.array(timeRangeSchema).max(8).default([{ start: '09:00', end: '21:00' }]),
  weekends: z.array(timeRangeSchema).max(8).default([{ start: '09:00', end: '21:00' }]),
  blackouts: z.array(blackoutSchema).max(16).default([
    { start: '12:00', end: '13:30', days: 'all', label: 'lunch' },
    { start: '18:00', end: '19:00', days: 'all', label: 'evening meal' },
  ]),
});
export type CallingWindows = z.infer<typeof callingWindowsSchema>;

export const DEFAULT_CALLING_WINDOWS: CallingWindows = callingWindowsSchema.parse({});

export function toMinutes(hm: string): number {
  const [h, m] = hm.split(':').map(Number);
  return h * 60 + m;
}

type Interval = [number, number];

/** Allowed minute ranges of one local day: the day's windows minus its blackouts, sorted. */
export function allowedIntervals(w: CallingWindows, weekday: number): Interval[] {
  const weekend = weekday === 0 || weekday === 6;
  let out: Interval[] = (weekend ? w.weekends : w.weekdays).map((r) => [toMinutes(r.start), toMinutes(r.end)] as Interval);
  for (const b of w.blackouts) {
    if (b.days === 'weekdays' && weekend) continue;
    if (b.days === 'weekends' && !weekend) continue;
    const [bs, be] = [toMinutes(b.start), toMinutes(b.end)];
    out = out.flatMap(([s, e]): Interval[] => {
      if (be <= s || bs >= e) return [[s, e]];
      const parts: Interval[] = [];
      if (bs > s) parts.push([s, bs]);
      if (be < e) parts.push([be, e]);
      return parts;
    });
  }
  return out.sort((a, b) => a[0] - b[0]);
}

export function isWithinCallingWindow(atMs: number, zone: string, w: CallingWindows): boolean {
  const p = localParts(atMs, zone);
  return allowedIntervals(w, p.weekday).some(([s, e]) => p.minuteOfDay >= s && p.minuteOfDay < e);
}

/**
 * First instant at or after `atMs` when the lead's local time is inside a window; null when the
 * windows allow nothing in the next 8 days (e.g. both day lists empty).
 */
export function nextAllowedTime(atMs: number, zone: string, w: CallingWindows): number | null {
  if (isWithinCallingWindow(atMs, zone, w)) return atMs;
  const today = localParts(atMs, zone);
  for (let offset = 0; offset <= 8; offset++) {
    const d = addDays(today.year, today.month, today.day, offset);
    for (const [s, e] of allowedIntervals(w, d.weekday)) {
      const start = zonedToUtc(d.year, d.month, d.day, s, zone);
      const end = zonedToUtc(d.year, d.month, d.day, e, zone);
      if (end > atMs && start < end) {
        const candidate = Math.max(start, atMs);
        // DST can shift a boundary by an hour; confirm rather than trust the arithmetic.
        if (isWithinCallingWindow(candidate, zone, w)) return candidate;
        if (isWithinCallingWindow(candidate + 60_000, zone, w)) return candidate + 60_000;
      }
    }
  }
  return null;
}
