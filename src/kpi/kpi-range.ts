import { z } from 'zod';

const DAY_MS = 86_400_000;
export const MAX_RANGE_DAYS = 366;

/** A UTC calendar day, as the agent daily totals are keyed (agent-time.ts dayOf). */
export const daySchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/).refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'not a calendar day');

/** Inclusive day range; to >= from and at most 366 days (a leap year), else 400 with the zod issue. */
export const dayRangeSchema = z.object({ from: daySchema, to: daySchema }).superRefine((r, ctx) => {
  const n = daysBetween(r.from, r.to) + 1;
  if (n < 1) ctx.addIssue({ code: 'custom', path: ['to'], message: 'to must not be before from' });
  else if (n > MAX_RANGE_DAYS) ctx.addIssue({ code: 'custom', path: ['to'], message: `range longer than ${MAX_RANGE_DAYS} days` });
});
export type DayRange = z.infer<typeof dayRangeSchema>;

export function dayMs(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((dayMs(to) - dayMs(from)) / DAY_MS);
}

/** Every day of [from, to], inclusive. */
export function daysOf(r: DayRange): string[] {
  const out: string[] = [];
  for (let t = dayMs(r.from); t <= dayMs(r.to); t += DAY_MS) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}
