import type { Redis } from 'ioredis';
import type { Keys } from '../redis.js';
import { dayOf } from '../agents/agent-time.js';
import type { AppliedDisposition } from '../leads/disposition-service.js';

/** KPI counters outlive the agents' 40-day time totals: targets are set per year. */
const KPI_TTL_SEC = 400 * 24 * 3600;

export interface AgentKpiCounts {
  dials: number;
  connects: number;
  conversions: number;
  surveyCount: number;
  surveySum: number;
}

export interface SurveyInput {
  callId: string;
  agentId: string;
  score: number;
}

/**
 * The counters the other modules do not keep: per agent per UTC day (hash `kpi:<agent>:<day>`) outbound
 * dials/connects/conversions from dispositions and post-call survey scores; per campaign per day conversions.
 */
export class KpiCounters {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  agentKey(agentId: string, day: string): string { return this.keys.k('kpi', agentId, day); }
  campaignKey(campaignId: string, day: string): string { return this.keys.k('kpic', campaignId, day); }
  private surveyKey(callId: string): string { return this.keys.k('kpisurvey', callId); }
  private callTalkKey(callId: string): string { return this.keys.k('kpicalltalk', callId); }

  /**
   * The talk time of a call the agent just left (agent-state on-call -> wrap-up...): kept for a day so the
   * disposition that follows can book it to the call's campaign.
   */
  async recordCallTalk(callId: string, talkMs: number): Promise<void> {
    const k = this.callTalkKey(callId);
    await this.redis.multi().incrby(k, talkMs).expire(k, 24 * 3600).exec();
  }

  /**
   * Every disposition an agent files closes one of their dial attempts; it connected when a human answered
   * and converted when the disposition is flagged `sale`.
   */
  async recordDisposition(d: AppliedDisposition): Promise<void> {
    const day = dayOf(d.at);
    const m = this.redis.multi();
    if (d.input.agentId) {
      const k = this.agentKey(d.input.agentId, day);
      m.hincrby(k, 'dials', 1);
      if (d.disposition.humanAnswered) m.hincrby(k, 'connects', 1);
      if (d.disposition.sale) m.hincrby(k, 'conversions', 1);
      m.expire(k, KPI_TTL_SEC);
    }
    const ck = this.campaignKey(d.campaignId, day);
    if (d.disposition.sale) m.hincrby(ck, 'conversions', 1);
    // the call's talk time counts once for its campaign, whatever the number of dispositions filed on it
    const talk = d.input.callId ? await this.redis.getdel(this.callTalkKey(d.input.callId)) : null;
    if (talk) m.hincrby(ck, 'talkMs', Number(talk));
    m.expire(ck, KPI_TTL_SEC);
    await m.exec();
  }

  /** One score per call (the first one counts): a replayed survey or a retried request must not count twice. */
  async recordSurvey(s: SurveyInput, at = Date.now()): Promise<'recorded' | 'duplicate'> {
    const ok = await this.redis.set(this.surveyKey(s.callId), JSON.stringify({ ...s, at }), 'EX', KPI_TTL_SEC, 'NX');
    if (ok !== 'OK') return 'duplicate';
    const k = this.agentKey(s.agentId, dayOf(at));
    await this.redis.multi().hincrby(k, 'surveyCount', 1).hincrby(k, 'surveySum', s.score).expire(k, KPI_TTL_SEC).exec();
    return 'recorded';
  }

  async agentDays(agentId: string, days: string[]): Promise<AgentKpiCounts[]> {
    if (!days.length) return [];
    const p = this.redis.pipeline();
    for (const d of days) p.hgetall(this.agentKey(agentId, d));
    const res = (await p.exec()) ?? [];
    return days.map((_, i) => {
      const h = (res[i]?.[1] ?? {}) as Record<string, string>;
      const n = (f: string) => Number(h[f] ?? 0);
      return { dials: n('dials'), connects: n('connects'), conversions: n('conversions'), surveyCount: n('surveyCount'), surveySum: n('surveySum') };
    });
  }

  async campaignDays(campaignId: string, days: string[]): Promise<{ conversions: number; talkMs: number }> {
    const out = { conversions: 0, talkMs: 0 };
    if (!days.length) return out;
    const p = this.redis.pipeline();
    for (const d of days) p.hmget(this.campaignKey(campaignId, d), 'conversions', 'talkMs');
    for (const [, v] of (await p.exec()) ?? []) {
      const [c, t] = (v ?? [null, null]) as (string | null)[];
      out.conversions += Number(c ?? 0);
      out.talkMs += Number(t ?? 0);
    }
    return out;
  }
}
