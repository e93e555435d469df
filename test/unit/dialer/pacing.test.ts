import { describe, expect, it } from 'vitest';
import { LiveStats } from '../../../src/dialer/pacing/live-stats.js';
import { PredictivePacer, overflowRatio } from '../../../src/dialer/pacing/predictive.js';
import { ProgressivePacer } from '../../../src/dialer/pacing/progressive.js';
import { AgentlessPacer } from '../../../src/dialer/pacing/agentless.js';
import { RollingAbandonWindow } from '../../../src/dialer/pacing/rolling-window.js';
import type { AgentState } from '../../../src/dialer/ports.js';
import { runSimulation } from '../../../src/dialer/sim/simulation.js';

const NOW = 1_800_000_000_000;
const H = 3600_000;
const agents = (idle: number, talking: number, wrap = 0): AgentState[] => [
  ...Array.from({ length: idle }, (_, i) => ({ agentId: `i${i}`, state: 'idle' as const, sinceMs: NOW - 5000 })),
  ...Array.from({ length: talking }, (_, i) => ({ agentId: `t${i}`, state: 'talking' as const, sinceMs: NOW - 60_000 })),
  ...Array.from({ length: wrap }, (_, i) => ({ agentId: `w${i}`, state: 'wrap' as const, sinceMs: NOW - 15_000 })),
];

/** Stats as if `n` attempts were measured at the given answer rate, with `abandoned` of the answered abandoned. */
function measured(n: number, rate: number, abandoned = 0, at = NOW): LiveStats {
  const s = new LiveStats({ abandonWindowMs: 24 * H });
  for (let i = 0; i < n; i++) s.onAttemptResult(i % Math.round(1 / rate) === 0, 8000, at - 1000);
  for (let i = 0; i < abandoned; i++) s.onAbandoned(at - 1000);
  for (let i = 0; i < 20; i++) s.onTalkEnded(180_000);
  return s;
}

const opts = { abandonTarget: 0.03, abandonGraceMs: 2000, maxLinesPerAgent: 4 };

describe('pacing', () => {
  it('progressive dials exactly one call per idle agent', () => {
    const p = new ProgressivePacer();
    expect(p.decide({ now: NOW, agents: agents(3, 5), ringing: 0, waiting: 0, stats: measured(100, 0.25) }).dial).toBe(3);
    expect(p.decide({ now: NOW, agents: agents(0, 8), ringing: 0, waiting: 0, stats: measured(100, 0.25) }).dial).toBe(0);
  });

  it('agentless keeps its line count busy', () => {
    const p = new AgentlessPacer(10, () => 4);
    expect(p.decide({ now: NOW, agents: [], ringing: 3, waiting: 0, stats: measured(0, 0.3) }).dial).toBe(3);
  });

  it('overflowRatio: zero when answers can never exceed agents, grows with lines', () => {
    expect(overflowRatio(3, 0.5, 3)).toBe(0);
    const a = overflowRatio(8, 0.25, 2);
    const b = overflowRatio(16, 0.25, 2);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(a);
    // Agents expected to free up reduce the overflow.
    expect(overflowRatio(16, 0.25, 2, 2)).toBeLessThan(b);
  });

  it('predictive: warm-up dials 1:1, then dials more lines than idle agents when the answer rate is low', () => {
    const p = new PredictivePacer(opts);
    expect(p.decide({ now: NOW, agents: agents(4, 16), ringing: 0, waiting: 0, stats: new LiveStats({ abandonWindowMs: 24 * H }) }).dial).toBe(4);
    // 500 answered-with-no-abandon calls give slack; at 25 % answers it overdials.
    const s = measured(2000, 0.25);
    const d = p.decide({ now: NOW, agents: agents(4, 16), ringing: 0, waiting: 0, stats: s }).dial;
    expect(d).toBeGreaterThan(4);
    expect(d).toBeLessThanOrEqual(20 * 4);
    // With a high answer rate it dials fewer lines for the same agents.
    const high = p.decide({ now: NOW, agents: agents(4, 16), ringing: 0, waiting: 0, stats: measured(2000, 0.8) }).dial;
    expect(high).toBeLessThan(d);
  });

  it('predictive: holds back when the rolling abandon rate is at or over target, and counts ringing calls', () => {
    const p = new PredictivePacer(opts);
    const fine = p.decide({ now: NOW, agents: agents(4, 16), ringing: 0, waiting: 0, stats: measured(2000, 0.25) }).dial;
    const over = p.decide({ now: NOW, agents: agents(4, 16), ringing: 0, waiting: 0, stats: measured(2000, 0.25, 30) }).dial; // 6 % abandoned
    expect(over).toBeLessThan(fine);
    const ringing = p.decide({ now: NOW, agents: agents(4, 16), ringing: 10, waiting: 0, stats: measured(2000, 0.25) }).dial;
    expect(ringing).toBeLessThan(fine);
    expect(p.decide({ now: NOW, agents: agents(0, 0), ringing: 0, waiting: 0, stats: measured(2000, 0.25) }).dial).toBe(0);
  });

  it('predictive: when the window cannot absorb two more abandons, dials no more calls than free agents', () => {
    const p = new PredictivePacer(opts);
    // 40 answered, 0 abandoned: budget 1.2 abandons < 2 -> zero-risk dialing even though the answer rate is low.
    const early = measured(160, 0.25);
    expect(early.abandon.totals(NOW).answered).toBe(40);
    expect(p.decide({ now: NOW, agents: agents(4, 16), ringing: 1, waiting: 0, stats: early }).dial).toBe(3);
    expect(p.decide({ now: NOW, agents: agents(4, 16), ringing: 1, waiting: 2, stats: early }).dial).toBe(1);
  });

  it('rolling window forgets what is older than the window', () => {
    const w = new RollingAbandonWindow(24 * H);
    w.add(NOW - 25 * H, 100, 50);
    w.add(NOW - H, 100, 2);
    expect(w.totals(NOW)).toEqual({ answered: 100, abandoned: 2, rate: 0.02 });
  });

  it('simulation (seeded, real dialer + pacers): predictive beats progressive and stays under 3 % abandoned', async () => {
    const base = {
      agents: 20, answerRate: 0.25, meanTalkS: 180, talkCv: 0.8, meanWrapS: 20, wrapCv: 0.5, shiftHours: 2, days: 1, seed: 7,
      abandonTarget: 0.03, abandonWindowH: 24, ringTimeoutS: 25,
    };
    const prog = await runSimulation({ ...base, mode: 'progressive' });
    const pred = await runSimulation({ ...base, mode: 'predictive' });
    expect(prog.abandoned).toBe(0);
    expect(pred.talkMinPerAgentHour).toBeGreaterThan(prog.talkMinPerAgentHour);
    expect(pred.abandonRate).toBeLessThanOrEqual(0.03);
    expect(pred.dialed).toBeGreaterThan(prog.dialed);
  }, 30_000);
});
