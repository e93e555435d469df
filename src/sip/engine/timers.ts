/** RFC 3261 17 timer values in ms; mutable so tests can shrink them (never in production). */
export interface SipTimers {
  T1: number;
  T2: number;
  T4: number;
}

export const DEFAULT_TIMERS: Readonly<SipTimers> = { T1: 500, T2: 4000, T4: 5000 };

/** setTimeout that never keeps the process alive by itself (sockets do that). */
export function timer(ms: number, fn: () => void): NodeJS.Timeout {
  const t = setTimeout(fn, ms);
  t.unref();
  return t;
}
