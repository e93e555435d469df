import { pino } from 'pino';
import { campaignInputSchema, type Campaign, type DialMode } from '../campaign.js';
import { CampaignDialer } from '../campaign-dialer.js';
import { Rng } from './rng.js';
import { SimAgentPool } from './sim-agent-pool.js';
import { SimClock } from './sim-clock.js';
import { SimOriginator } from './sim-originator.js';
import { EndlessLeadQueue } from './memory-lead-queue.js';

export interface SimulationOptions {
  mode: Extract<DialMode, 'progressive' | 'predictive'>;
  agents: number;
  answerRate: number;
  meanTalkS: number;
  talkCv: number;
  meanWrapS: number;
  wrapCv: number;
  shiftHours: number;
  days: number;
  seed: number;
  abandonTarget: number;
  abandonWindowH: number;
  ringTimeoutS: number;
}

export interface SimulationReport {
  mode: string;
  dialed: number;
  answered: number;
  abandoned: number;
  abandonRate: number;
  /** Worst rolling-window abandon rate, evaluated every 5 minutes of every shift. */
  maxRollingAbandonRate: number;
  /** Worst single clock hour (not a compliance window; shows how bursty abandons are). */
  maxHourAbandonRate: number;
  perDay: { day: number; answered: number; abandoned: number; abandonRate: number; talkMinPerAgentHour: number }[];
  talkMinPerAgentHour: number;
  idleMinPerAgentHour: number;
  wrapMinPerAgentHour: number;
}

const H = 3600_000;

/** Runs the real CampaignDialer and pacer against simulated customers and agents on a simulated clock. */
export async function runSimulation(o: SimulationOptions): Promise<SimulationReport> {
  const start = Date.UTC(2026, 0, 5, 0, 0, 0); // a Monday 00:00 UTC; sim leads are in UTC
  const clock = new SimClock(start);
  const rng = new Rng(o.seed);
  const campaign: Campaign = {
    ...campaignInputSchema.parse({
      name: `sim-${o.mode}`, trunk: 'sim', callerId: '+861000000000', dialMode: o.mode, allowedPrefixes: ['+86'],
      abandonRateTarget: o.abandonTarget, abandonWindowMs: o.abandonWindowH * H, ringTimeoutMs: o.ringTimeoutS * 1000,
      callingWindows: { weekdays: [{ start: '00:00', end: '24:00' }], weekends: [{ start: '00:00', end: '24:00' }], blackouts: [] },
    }),
    id: `sim-${o.mode}`, createdAt: new Date(start).toISOString(), updatedAt: new Date(start).toISOString(),
  };
  const pool = new SimAgentPool(clock, rng, {
    agents: o.agents, meanTalkMs: o.meanTalkS * 1000, talkCv: o.talkCv, meanWrapMs: o.meanWrapS * 1000, wrapCv: o.wrapCv,
  });
  const originator = new SimOriginator(clock, rng, { answerRate: o.answerRate, busyShare: 0.25, failedShare: 0.05 });
  const events: { at: number; answered: number; abandoned: number }[] = [];
  const dialer = new CampaignDialer({
    campaign, clock, originator, agents: pool, leads: new EndlessLeadQueue(), log: pino({ level: 'silent' }),
    instanceId: 'sim', tickMs: 1000,
    onEvent: (e) => {
      if (e.type === 'answered') events.push({ at: clock.now(), answered: 1, abandoned: 0 });
      if (e.type === 'abandoned') events.push({ at: clock.now(), answered: 0, abandoned: 1 });
    },
  });

  const perDay: SimulationReport['perDay'] = [];
  let maxRolling = 0;
  let maxHour = 0;
  let prevTalk = 0;
  for (let d = 0; d < o.days; d++) {
    const shiftStart = start + d * 24 * H + 9 * H;
    await clock.runUntil(shiftStart);
    pool.logIn();
    dialer.start();
    // The rolling window is checked every 5 minutes; worst single clock hour kept for information.
    const STEP = 5 * 60_000;
    for (let k = 1; k <= (o.shiftHours * H) / STEP; k++) {
      await clock.runUntil(shiftStart + k * STEP);
      const t = clock.now();
      let ans = 0;
      let ab = 0;
      let hourAns = 0;
      let hourAb = 0;
      for (const e of events) {
        if (e.at <= t - o.abandonWindowH * H) continue;
        ans += e.answered;
        ab += e.abandoned;
        if ((k * STEP) % H === 0 && e.at > t - H) {
          hourAns += e.answered;
          hourAb += e.abandoned;
        }
      }
      if (ans) maxRolling = Math.max(maxRolling, ab / ans);
      if (hourAns) maxHour = Math.max(maxHour, hourAb / hourAns);
    }
    const stopped = dialer.stop(); // no new calls; calls in progress finish as the clock runs on
    pool.logOut();
    await clock.runUntil(shiftStart + o.shiftHours * H + 60 * 60_000);
    await stopped;
    pool.sweep();
    const dayEv = events.filter((e) => e.at >= shiftStart && e.at < shiftStart + 24 * H);
    const answered = dayEv.reduce((s, e) => s + e.answered, 0);
    const abandoned = dayEv.reduce((s, e) => s + e.abandoned, 0);
    const talk = pool.agents.reduce((s, a) => s + a.acc.talking, 0);
    perDay.push({ day: d + 1, answered, abandoned, abandonRate: answered ? abandoned / answered : 0, talkMinPerAgentHour: (talk - prevTalk) / 60_000 / (o.agents * o.shiftHours) });
    prevTalk = talk;
  }
  const agentHours = o.agents * o.shiftHours * o.days;
  const sum = (k: 'talking' | 'idle' | 'reserved' | 'wrap') => pool.agents.reduce((s, a) => s + a.acc[k], 0) / 60_000 / agentHours;
  const answered = events.reduce((s, e) => s + e.answered, 0);
  const abandoned = events.reduce((s, e) => s + e.abandoned, 0);
  return {
    mode: o.mode, dialed: dialer.stats.dialed, answered, abandoned, abandonRate: answered ? abandoned / answered : 0,
    maxRollingAbandonRate: maxRolling, maxHourAbandonRate: maxHour, perDay,
    talkMinPerAgentHour: sum('talking'),
    // Reserved = waiting for the call it was reserved for to be answered: idle from the agent's point of view.
    // Per agent-hour of shift; calls running past the shift end are not counted (conservative for talk time).
    idleMinPerAgentHour: sum('idle') + sum('reserved'),
    wrapMinPerAgentHour: sum('wrap'),
  };
}
