import type { AgentState } from '../ports.js';
import { RollingAbandonWindow } from './rolling-window.js';

export interface LiveStatsOptions {
  abandonWindowMs: number;
  /** Priors used until enough calls were measured. */
  priorAnswerRate?: number;
  priorTalkMs?: number;
  priorWrapMs?: number;
  priorAnswerDelayMs?: number;
  /** How many recent attempts / calls the averages look at. */
  sampleSize?: number;
}

/** A fixed-size window of recent samples with a prior that fades as samples arrive. */
class RecentMean {
  private readonly xs: number[] = [];
  private sum = 0;
  constructor(private readonly size: number, private readonly prior: number, private readonly priorWeight: number) {}
  add(x: number): void {
    this.xs.push(x);
    this.sum += x;
    if (this.xs.length > this.size) this.sum -= this.xs.shift()!;
  }
  get count(): number {
    return this.xs.length;
  }
  mean(): number {
    return (this.sum + this.prior * this.priorWeight) / (this.xs.length + this.priorWeight);
  }
}

/**
 * Live measurements the pacers read: answer rate of recent attempts, time from dial to answer, talk and
 * wrap times, and the rolling abandon rate. Fed by the dialer (call outcomes) and by agent snapshots (wrap).
 */
export class LiveStats {
  readonly abandon: RollingAbandonWindow;
  private readonly answers: RecentMean;
  private readonly answerDelay: RecentMean;
  private readonly talk: RecentMean;
  private readonly wrap: RecentMean;
  private readonly wrapStarted = new Map<string, number>();
  dialed = 0;
  answered = 0;
  abandoned = 0;

  constructor(o: LiveStatsOptions) {
    const n = o.sampleSize ?? 300;
    this.abandon = new RollingAbandonWindow(o.abandonWindowMs);
    this.answers = new RecentMean(n, o.priorAnswerRate ?? 0.3, 20);
    this.answerDelay = new RecentMean(n, o.priorAnswerDelayMs ?? 8_000, 5);
    this.talk = new RecentMean(Math.min(n, 100), o.priorTalkMs ?? 180_000, 5);
    this.wrap = new RecentMean(Math.min(n, 100), o.priorWrapMs ?? 30_000, 5);
  }

  onDialed(): void {
    this.dialed++;
  }

  /** A finished attempt: answered by a person or not (busy, no-answer, rejected, failed). */
  onAttemptResult(answered: boolean, ringMs: number, at: number): void {
    this.answers.add(answered ? 1 : 0);
    if (answered) {
      this.answered++;
      this.answerDelay.add(ringMs);
      this.abandon.add(at, 1, 0);
    }
  }

  onAbandoned(at: number): void {
    this.abandoned++;
    this.abandon.add(at, 0, 1);
  }

  onTalkEnded(talkMs: number): void {
    this.talk.add(talkMs);
  }

  /** Learns wrap-up times from agents moving wrap -> anything else between snapshots. */
  observeAgents(agents: AgentState[]): void {
    for (const a of agents) {
      const started = this.wrapStarted.get(a.agentId);
      if (a.state === 'wrap') {
        if (started === undefined) this.wrapStarted.set(a.agentId, a.sinceMs);
      } else if (started !== undefined) {
        this.wrapStarted.delete(a.agentId);
        if (a.sinceMs > started) this.wrap.add(a.sinceMs - started);
      }
    }
  }

  answerRate(): number {
    return Math.min(1, Math.max(0.02, this.answers.mean()));
  }
  attemptsMeasured(): number {
    return this.answers.count;
  }
  meanAnswerDelayMs(): number {
    return this.answerDelay.mean();
  }
  meanTalkMs(): number {
    return this.talk.mean();
  }
  meanWrapMs(): number {
    return this.wrap.mean();
  }
  /** Average handle time: talk plus wrap. */
  ahtMs(): number {
    return this.meanTalkMs() + this.meanWrapMs();
  }
}
