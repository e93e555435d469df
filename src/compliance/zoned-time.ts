/** Wall-clock arithmetic in IANA zones with Intl only (no tz library installed). */

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  /** 0 = Sunday ... 6 = Saturday. */
  weekday: number;
  /** Minutes since local midnight, with seconds as a fraction. */
  minuteOfDay: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function format(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short',
    });
    formats.set(zone, f);
  }
  return f;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

export function localParts(atMs: number, zone: string): LocalParts {
  const p: Record<string, string> = {};
  for (const part of format(zone).formatToParts(new Date(atMs))) p[part.type] = part.value;
  return {
    year: Number(p.year), month: Number(p.month), day: Number(p.day), weekday: WEEKDAYS[p.weekday],
    minuteOfDay: Number(p.hour) * 60 + Number(p.minute) + Number(p.second) / 60,
  };
}

/** Local time minus UTC at an instant, in ms. */
export function zoneOffsetMs(atMs: number, zone: string): number {
  const p = localParts(atMs, zone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, 0, 0, 0) + Math.round(p.minuteOfDay * 60_000);
  return asUtc - Math.floor(atMs / 1000) * 1000;
}

/**
 * The instant when the local clock in `zone` shows the given date and minute. In a DST gap
 * (02:30 on spring-forward day) it returns the instant just after the gap.
 */
export function zonedToUtc(year: number, month: number, day: number, minuteOfDay: number, zone: string): number {
  const wall = Date.UTC(year, month - 1, day, 0, 0, 0) + minuteOfDay * 60_000;
  const first = wall - zoneOffsetMs(wall, zone);
  const second = wall - zoneOffsetMs(first, zone);
  // One of the two guesses shows the requested wall time unless it falls in a DST gap.
  for (const c of first === second ? [first] : [second, first]) {
    const p = localParts(c, zone);
    if (p.year === year && p.month === month && p.day === day && Math.abs(p.minuteOfDay - minuteOfDay) < 1 / 60) return c;
  }
  return Math.max(first, second);
}

/** Calendar date `days` after the given local date. */
export function addDays(year: number, month: number, day: number, days: number): { year: number; month: number; day: number; weekday: number } {
  const d = new Date(Date.UTC(year, month - 1, day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), weekday: d.getUTCDay() };
}
