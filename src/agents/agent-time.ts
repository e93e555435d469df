/** Daily totals are kept per UTC day; a state that spans midnight is booked on the day it ends. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export interface AgentDayTotals {
  day: string;
  idleMs: number;
  ringMs: number;
  talkMs: number;
  holdMs: number;
  wrapMs: number;
  pauseMs: number;
  calls: number;
  missed: number;
}

export function toDayTotals(day: string, h: Record<string, string>): AgentDayTotals {
  const n = (k: string) => Number(h[k] ?? 0);
  return {
    day,
    idleMs: n('idleMs'), ringMs: n('ringMs'), talkMs: n('talkMs'), holdMs: n('holdMs'),
    wrapMs: n('wrapMs'), pauseMs: n('pauseMs'), calls: n('calls'), missed: n('missed'),
  };
}

/** Daily totals live 400 days: quarterly and yearly KPI targets (src/kpi) read them. */
export const DAY_TOTALS_TTL_SEC = 400 * 24 * 3600;
