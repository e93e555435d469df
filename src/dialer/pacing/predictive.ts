import { idleAgents, type Pacer, type PacingDecision, type PacingInput } from './pacer.js';

export interface PredictiveOptions {
  /** Abandoned / live-answered target over the rolling window (e.g. 0.03). */
  abandonTarget: number;
  /** Answered calls wait this long for an agent before the safe-harbor message (2 s). */
  abandonGraceMs: number;
  maxLinesPerAgent: number;
  /** Attempts measured before the pacer trusts the answer rate instead of dialing 1:1. */
  warmupAttempts?: number;
}

/**
 * Predictive pacing: more lines than agents, sized from live measurements.
 *
 * Each tick estimates how many agents will be free by the time a call placed now is answered
 * (idle agents + busy agents likely to finish within the mean answer delay + grace, from the measured talk
 * and wrap times), then dials the largest number of new calls for which the expected share of answered
 * calls finding no agent, E[max(0, X - S)] / E[X] with X ~ Binomial(ringing + n, answer rate), stays under
 * an allowance. The allowance is the abandon target scaled by the slack left in the rolling window
 * (target x answered - abandoned): tight when the window has no margin, looser when it has plenty, so
 * the window's rate converges under the target instead of oscillating around it. When the window cannot
 * absorb even two more abandons it dials only as many calls as there are free agents (zero risk).
 */
export class PredictivePacer implements Pacer {
  readonly mode = 'predictive' as const;
  constructor(private readonly o: PredictiveOptions) {}

  decide(i: PacingInput): PacingDecision {
    const staffed = i.agents.filter((a) => a.state !== 'away').length;
    const idle = idleAgents(i.agents);
    const s = i.stats;
    const p = s.answerRate();
    const maxLines = Math.floor(staffed * this.o.maxLinesPerAgent);
    const room = Math.max(0, maxLines - i.ringing);
    if (!staffed || !room) return { dial: 0 };

    // Warm-up: no measurements yet, dial 1:1 with idle agents.
    if (s.attemptsMeasured() < (this.o.warmupAttempts ?? 30)) {
      return { dial: Math.min(room, Math.max(0, idle - i.ringing - i.waiting)) };
    }

    const horizon = s.meanAnswerDelayMs() + this.o.abandonGraceMs;
    const talk = s.meanTalkMs();
    const wrap = s.meanWrapMs();
    let freeing = 0;
    for (const a of i.agents) {
      if (a.state !== 'talking' && a.state !== 'wrap') continue;
      const elapsed = i.now - a.sinceMs;
      // Talk times are long-tailed, so elapsed talk says little about what is left: treat talk as
      // memoryless (remaining = mean talk + wrap). Wrap-up is short and regular: what is left of its mean.
      const remaining = a.state === 'talking' ? talk + wrap : Math.max(wrap - elapsed, wrap * 0.25);
      freeing += 1 - Math.exp(-horizon / remaining);
    }
    const free = Math.max(0, idle - i.waiting);
    const supply = free + freeing;

    const w = s.abandon.totals(i.now);
    // Abandons the window can still absorb at the target. Below ~2 (the start of a window, or right after a
    // burst) one more abandon would push the rolling rate over the target, so dial only what idle agents
    // are certain to take: never more calls in flight than free agents (no abandon is possible).
    const budget = this.o.abandonTarget * w.answered - w.abandoned;
    if (budget < 2) {
      return { dial: Math.min(room, Math.max(0, free - i.ringing)), detail: { p, supply, freeing, budget, ringing: i.ringing, idle, safe: 1 } };
    }
    // Aim a little under the target so random bursts do not push the window over it.
    const slack = 0.85 * this.o.abandonTarget * w.answered - w.abandoned;
    const allowance = this.o.abandonTarget * Math.min(2, Math.max(0.05, slack / 6));

    let dial = 0;
    for (let n = 1; n <= room; n++) {
      if (overflowRatio(i.ringing + n, p, free, freeing) > allowance) break;
      dial = n;
    }
    return { dial, detail: { p, supply, freeing, allowance, slack, budget, ringing: i.ringing, idle } };
  }
}

/**
 * Expected share of answered calls finding no agent: E[max(0, X - free - F)] / E[X] with X ~ Binomial(n, p)
 * answers and F ~ Poisson(freeing) agents finishing in time (their count is uncertain, not a fixed number).
 */
export function overflowRatio(n: number, p: number, free: number, freeing = 0): number {
  if (n <= 0 || p <= 0) return 0;
  const fMax = Math.ceil(freeing + 6 * Math.sqrt(freeing) + 2);
  const pf: number[] = [];
  let q = Math.exp(-freeing);
  for (let f = 0; f <= fMax; f++) {
    pf.push(q);
    q = (q * freeing) / (f + 1);
  }
  let pk = Math.pow(1 - p, n);
  let over = 0;
  for (let k = 0; k <= n; k++) {
    if (k > free) for (let f = 0; f <= fMax && k > free + f; f++) over += pk * pf[f] * (k - free - f);
    pk = (pk * (n - k) * p) / ((k + 1) * (1 - p || 1e-12));
  }
  return over / (n * p);
}
