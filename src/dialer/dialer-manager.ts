import type { Logger } from '../logger.js';
import type { CallStatsStore } from '../compliance/call-stats.js';
import { HttpError } from '../api/error-handler.js';
import type { CampaignStore } from './campaign-store.js';
import { CampaignDialer, type DialerEvent } from './campaign-dialer.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import type { ClaimedLead, DialLead, LeadQueue } from './lead-queue.js';
import { LiveStats } from './pacing/live-stats.js';
import type { AgentlessRunner, AgentPool, Originator } from './ports.js';

export interface DialerManagerDeps {
  campaigns: CampaignStore;
  leads: LeadQueue;
  originator: Originator;
  agents: AgentPool;
  agentless?: AgentlessRunner;
  callStats?: CallStatsStore;
  log: Logger;
  clock?: Clock;
  instanceId?: string;
  prompt?: (name: string) => string;
  /** e.g. publish to the EventBus topic `campaign:<id>`. */
  onEvent?: (e: DialerEvent) => void;
}

export interface DialerStatus {
  campaignId: string;
  running: boolean;
  ringing: number;
  waiting: number;
  active: number;
  dialed: number;
  answered: number;
  abandoned: number;
  answerRate: number;
  rollingAbandonRate: number;
}

const HOUR = 3600_000;

/** Runs the campaign dialers of this instance and the preview (agent-clicks-to-dial) flow. */
export class DialerManager {
  private readonly dialers = new Map<string, CampaignDialer>();
  private readonly previews = new Map<string, { claim: ClaimedLead; agentId: string }>();
  private readonly clock: Clock;

  constructor(private readonly d: DialerManagerDeps) {
    this.clock = d.clock ?? systemClock;
  }

  async start(campaignId: string): Promise<DialerStatus> {
    const c = await this.d.campaigns.update(campaignId, { status: 'running' });
    let dialer = this.dialers.get(campaignId);
    if (!dialer) {
      dialer = new CampaignDialer({
        campaign: c, clock: this.clock, originator: this.d.originator, agents: this.d.agents, leads: this.d.leads,
        log: this.d.log.child({ mod: 'dialer', campaignId }), stats: await this.seededStats(campaignId, c.abandonWindowMs),
        ...(this.d.agentless ? { agentless: this.d.agentless } : {}), ...(this.d.callStats ? { callStats: this.d.callStats } : {}),
        ...(this.d.prompt ? { prompt: this.d.prompt } : {}), ...(this.d.onEvent ? { onEvent: this.d.onEvent } : {}),
        ...(this.d.instanceId ? { instanceId: this.d.instanceId } : {}),
      });
      this.dialers.set(campaignId, dialer);
    } else dialer.updateCampaign(c);
    if (c.dialMode !== 'preview') dialer.start();
    return this.status(campaignId);
  }

  async pause(campaignId: string): Promise<DialerStatus> {
    await this.d.campaigns.update(campaignId, { status: 'paused' });
    const dialer = this.dialers.get(campaignId);
    await dialer?.stop();
    return this.status(campaignId);
  }

  /** Campaign edits reach a running dialer. */
  async refresh(campaignId: string): Promise<void> {
    const c = await this.d.campaigns.get(campaignId);
    if (c) this.dialers.get(campaignId)?.updateCampaign(c);
  }

  status(campaignId: string): DialerStatus {
    const dl = this.dialers.get(campaignId);
    const s = dl?.stats;
    const w = s?.abandon.totals(this.clock.now());
    return {
      campaignId, running: !!dl, ...(dl?.counts ?? { ringing: 0, waiting: 0, active: 0 }),
      dialed: s?.dialed ?? 0, answered: s?.answered ?? 0, abandoned: s?.abandoned ?? 0,
      answerRate: s?.answerRate() ?? 0, rollingAbandonRate: w?.rate ?? 0,
    };
  }

  /** Preview: the next lead for this agent (their own or unowned), locked to them until dialed or skipped. */
  async previewNext(campaignId: string, agentId: string): Promise<DialLead | null> {
    const c = await this.d.campaigns.require(campaignId);
    if (c.dialMode !== 'preview') throw new HttpError(409, 'conflict', 'campaign is not in preview mode');
    const [claim] = await this.d.leads.claim({
      campaign: c, count: 1, now: this.clock.now(), holder: `agent:${agentId}`,
      eligible: (l) => !l.ownerAgentId || l.ownerAgentId === agentId,
    });
    if (!claim) return null;
    this.previews.set(`${campaignId}:${claim.lead.id}`, { claim, agentId });
    return claim.lead;
  }

  async previewDial(campaignId: string, leadId: string, agentId: string): Promise<void> {
    const p = this.takePreview(campaignId, leadId, agentId);
    let dialer = this.dialers.get(campaignId);
    if (!dialer) {
      await this.start(campaignId);
      dialer = this.dialers.get(campaignId)!;
    }
    // The call runs on; the HTTP request only starts it.
    void dialer.previewDial(p.claim, agentId).catch((err: Error) => this.d.log.warn({ err, campaignId, leadId }, 'preview dial failed'));
  }

  async previewSkip(campaignId: string, leadId: string, agentId: string): Promise<void> {
    const p = this.takePreview(campaignId, leadId, agentId);
    await this.d.leads.unclaim(p.claim);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.dialers.values()].map((d) => d.stop()));
    this.dialers.clear();
  }

  private takePreview(campaignId: string, leadId: string, agentId: string) {
    const key = `${campaignId}:${leadId}`;
    const p = this.previews.get(key);
    if (!p || p.agentId !== agentId) throw new HttpError(404, 'not_found', 'lead is not being previewed by this agent');
    this.previews.delete(key);
    return p;
  }

  /** After a restart the rolling abandon window starts from the persisted hourly counters. */
  private async seededStats(campaignId: string, windowMs: number): Promise<LiveStats> {
    const stats = new LiveStats({ abandonWindowMs: windowMs });
    if (!this.d.callStats) return stats;
    const now = this.clock.now();
    for (const w of await this.d.callStats.perWindow(campaignId, now - windowMs, now, HOUR)) {
      if (w.answered || w.abandoned) stats.abandon.add(w.from, w.answered, w.abandoned);
    }
    return stats;
  }
}
