import { z } from 'zod';
import type { AgentStateService } from '../agents/agent-state.js';
import type { CallStatsStore } from '../compliance/call-stats.js';
import { dayMs, daysOf, type DayRange } from './kpi-range.js';
import type { KpiCounters } from './kpi-counters.js';
import { targetPeriodSchema, type KpiTarget, type KpiTargetStore } from './kpi-targets.js';

const DAY_MS = 86_400_000;

export const agentKpiSchema = z.object({
  from: z.string(), to: z.string(),
  /** Calls offered to the agent (answered + rung unanswered) and answered (entered on-call). */
  offered: z.number(), answered: z.number(),
  dials: z.number(), connects: z.number(), connectRate: z.number(),
  talkMs: z.number(), holdMs: z.number(), wrapMs: z.number(), pauseMs: z.number(),
  /** (talk + wrap) / answered; hold is part of talk (the agent stays on-call while holding). */
  avgHandleMs: z.number(),
  conversions: z.number(), conversionRate: z.number(),
  /** Post-call survey scores (1-5): how many, their sum and average (null without surveys). */
  satisfaction: z.object({ count: z.number(), sum: z.number(), average: z.number().nullable() }),
});
export type AgentKpi = z.infer<typeof agentKpiSchema>;

const attainmentSchema = z.object({ target: z.number(), actual: z.number(), percent: z.number() });
export const targetAttainmentSchema = z.object({
  period: targetPeriodSchema, periodStart: z.string(), periodEnd: z.string(),
  talkMinutes: attainmentSchema.optional(), conversions: attainmentSchema.optional(),
  connectRate: attainmentSchema.optional(), satisfaction: attainmentSchema.optional(),
});
export const agentReportSchema = z.object({
  agentId: z.string(),
  total: agentKpiSchema,
  days: z.array(agentKpiSchema),
  /** Targets whose period overlaps the range, each measured over its own whole period. */
  targets: z.array(targetAttainmentSchema),
});
export type AgentReport = z.infer<typeof agentReportSchema>;

export const campaignReportSchema = z.object({
  campaignId: z.string(), from: z.string(), to: z.string(),
  dialed: z.number(), answered: z.number(), connected: z.number(), abandoned: z.number(),
  /** answered / dialed */
  connectRate: z.number(),
  /** abandoned / answered (the compliance definition) */
  abandonRate: z.number(),
  conversions: z.number(),
  /** Agent talk time of the campaign's dispositioned calls. */
  talkMs: z.number(),
  /** conversions / connected (to an agent) */
  conversionRate: z.number(),
});
export type CampaignReport = z.infer<typeof campaignReportSchema>;

export interface KpiReportDeps {
  agentState: Pick<AgentStateService, 'dayTotals'>;
  counters: KpiCounters;
  targets: KpiTargetStore;
  callStats: Pick<CallStatsStore, 'totals'>;
}

const ratio = (a: number, b: number) => (b ? a / b : 0);
const round2 = (x: number) => Math.round(x * 100) / 100;

/** Computes KPIs from the agents' daily time totals (agent-state), the KPI counters and campaign call stats. */
export class KpiReportService {
  constructor(private readonly d: KpiReportDeps) {}

  async agentDays(agentId: string, range: DayRange): Promise<AgentKpi[]> {
    const days = daysOf(range);
    const [totals, counts] = await Promise.all([
      Promise.all(days.map((day) => this.d.agentState.dayTotals(agentId, day))),
      this.d.counters.agentDays(agentId, days),
    ]);
    return days.map((day, i) => {
      const t = totals[i];
      const c = counts[i];
      return kpiOf(day, day, {
        offered: t.calls + t.missed, answered: t.calls, talkMs: t.talkMs, holdMs: t.holdMs, wrapMs: t.wrapMs, pauseMs: t.pauseMs,
        ...c,
      });
    });
  }

  async agentTotal(agentId: string, range: DayRange): Promise<AgentKpi> {
    return sumKpis(range, await this.agentDays(agentId, range));
  }

  async agentReport(agentId: string, range: DayRange): Promise<AgentReport> {
    const days = await this.agentDays(agentId, range);
    const targets = await this.d.targets.overlapping(agentId, range.from, range.to);
    return {
      agentId,
      total: sumKpis(range, days),
      days,
      targets: await Promise.all(targets.map(async (t) => attainment(t, await this.agentTotal(agentId, { from: t.periodStart, to: t.periodEnd })))),
    };
  }

  async campaignReport(campaignId: string, range: DayRange): Promise<CampaignReport> {
    const s = await this.d.callStats.totals(campaignId, dayMs(range.from), dayMs(range.to) + DAY_MS);
    const { conversions, talkMs } = await this.d.counters.campaignDays(campaignId, daysOf(range));
    return {
      campaignId, from: range.from, to: range.to,
      dialed: s.dialed, answered: s.answered, connected: s.connected, abandoned: s.abandoned,
      connectRate: ratio(s.answered, s.dialed), abandonRate: s.abandonRate,
      conversions, talkMs, conversionRate: ratio(conversions, s.connected),
    };
  }
}

interface Raw {
  offered: number; answered: number; talkMs: number; holdMs: number; wrapMs: number; pauseMs: number;
  dials: number; connects: number; conversions: number; surveyCount: number; surveySum: number;
}

function kpiOf(from: string, to: string, r: Raw): AgentKpi {
  return {
    from, to, offered: r.offered, answered: r.answered, dials: r.dials, connects: r.connects, connectRate: ratio(r.connects, r.dials),
    talkMs: r.talkMs, holdMs: r.holdMs, wrapMs: r.wrapMs, pauseMs: r.pauseMs,
    avgHandleMs: Math.round(ratio(r.talkMs + r.wrapMs, r.answered)),
    conversions: r.conversions, conversionRate: ratio(r.conversions, r.connects),
    satisfaction: { count: r.surveyCount, sum: r.surveySum, average: r.surveyCount ? r.surveySum / r.surveyCount : null },
  };
}

function sumKpis(range: DayRange, days: AgentKpi[]): AgentKpi {
  const r: Raw = { offered: 0, answered: 0, talkMs: 0, holdMs: 0, wrapMs: 0, pauseMs: 0, dials: 0, connects: 0, conversions: 0, surveyCount: 0, surveySum: 0 };
  for (const d of days) {
    r.offered += d.offered; r.answered += d.answered; r.talkMs += d.talkMs; r.holdMs += d.holdMs; r.wrapMs += d.wrapMs;
    r.pauseMs += d.pauseMs; r.dials += d.dials; r.connects += d.connects; r.conversions += d.conversions;
    r.surveyCount += d.satisfaction.count; r.surveySum += d.satisfaction.sum;
  }
  return kpiOf(range.from, range.to, r);
}

function attainment(t: KpiTarget, a: AgentKpi): z.infer<typeof targetAttainmentSchema> {
  const one = (target: number | undefined, actual: number) =>
    target === undefined ? undefined : { target, actual, percent: round2((actual / target) * 100) };
  const out: z.infer<typeof targetAttainmentSchema> = { period: t.period, periodStart: t.periodStart, periodEnd: t.periodEnd };
  const talk = one(t.talkMinutes, a.talkMs / 60_000);
  const conv = one(t.conversions, a.conversions);
  const cr = one(t.connectRate, a.connectRate);
  const sat = one(t.satisfaction, a.satisfaction.average ?? 0);
  if (talk) out.talkMinutes = talk;
  if (conv) out.conversions = conv;
  if (cr) out.connectRate = cr;
  if (sat) out.satisfaction = sat;
  return out;
}
