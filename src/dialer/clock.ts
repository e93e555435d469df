/** Time source for the dialer, so the same code runs live and inside the discrete-event simulation. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  setInterval(fn: () => void, ms: number): { clear(): void };
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  setInterval(fn, ms) {
    const t = setInterval(fn, ms);
    t.unref?.();
    return { clear: () => clearInterval(t) };
  },
};
