import type { Clock } from '../clock.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled?: boolean;
}

/**
 * Discrete-event clock: timers fire in time order and the clock jumps from one to the next. After each
 * event the microtask queue is drained (one macrotask turn), so async code awaiting simulated timers
 * runs exactly as it would live.
 */
export class SimClock implements Clock {
  private t: number;
  private seq = 0;
  private heap: Timer[] = [];

  constructor(startMs: number) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  at(at: number, fn: () => void): Timer {
    const timer = { at: Math.max(at, this.t), seq: this.seq++, fn };
    this.push(timer);
    return timer;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.at(this.t + ms, resolve));
  }

  setInterval(fn: () => void, ms: number): { clear(): void } {
    let current: Timer;
    const schedule = () => {
      current = this.at(this.t + ms, () => {
        schedule();
        fn();
      });
    };
    schedule();
    return { clear: () => void (current.cancelled = true) };
  }

  /** Runs events until the queue is empty or the next one is after `until`; leaves the clock at `until`. */
  async runUntil(until: number): Promise<void> {
    await turn();
    while (this.heap.length && this.heap[0].at <= until) {
      const timer = this.pop()!;
      if (timer.cancelled) continue;
      this.t = timer.at;
      timer.fn();
      await turn();
    }
    this.t = Math.max(this.t, until);
  }

  private push(x: Timer): void {
    const h = this.heap;
    h.push(x);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p], h[i])) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  private pop(): Timer | undefined {
    const h = this.heap;
    if (!h.length) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l], h[m])) m = l;
        if (r < h.length && less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }
}

const less = (a: Timer, b: Timer) => a.at < b.at || (a.at === b.at && a.seq < b.seq);
const turn = () => new Promise<void>((r) => setImmediate(r));
