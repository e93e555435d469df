import type { CallChannel } from '../calls/call-channel.js';
import type { Logger } from '../logger.js';
import { callLogger } from '../logger.js';
import { maskPhone } from '../auth/roles.js';
import { isWithinCallingWindow } from '../compliance/calling-window.js';
import { windowOpen } from '../compliance/policy.js';
import type { CallMetric } from '../compliance/call-stats.js';
import type { Campaign } from './campaign.js';
import type { Clock } from './clock.js';
import type { ClaimedLead, DialLead, LeadQueue } from './lead-queue.js';
import { LiveStats } from './pacing/live-stats.js';
import type { Pacer } from './pacing/pacer.js';
import { pacerFor } from './pacing/index.js';
import type { AgentlessRunner, AgentPool, AgentReservation, AgentState, OriginateResult, Originator, ScreenPop } from './ports.js';

export interface DialerEvent {
  type: 'dial' | 'answered' | 'failed' | 'connected' | 'abandoned' | 'ended' | 'agentless-done';
  campaignId: string;
  leadId: string;
  callId?: string;
  agentId?: string;
  outcome?: string;
}

export interface CampaignDialerOptions {
  campaign: Campaign;
  clock: Clock;
  originator: Originator;
  agents: AgentPool;
  leads: LeadQueue;
  log: Logger;
  agentless?: AgentlessRunner;
  /** Defaults to the campaign's mode (src/dialer/pacing). */
  pacer?: Pacer;
  stats?: LiveStats;
  /** Persisted hourly counters for the compliance report (CallStatsStore). */
  callStats?: { incr(campaignId: string, metric: CallMetric, at: number): Promise<void> };
  /** Resolves a prompt name to a file for CallChannel.play (safe-harbor message). */
  prompt?: (name: string) => string;
  onEvent?: (e: DialerEvent) => void;
  /** Lock holder name; one per dialer instance. */
  instanceId?: string;
  tickMs?: number;
}

/**
 * Runs one campaign: on each tick asks the pacer how many calls to place, claims that many compliant,
 * locked leads, originates, and on answer connects an agent (owner first) within the grace time or plays
 * the safe-harbor message and counts an abandon. Identical code runs live and in the simulation.
 */
export class CampaignDialer {
  readonly stats: LiveStats;
  readonly pacer: Pacer;
  private campaign: Campaign;
  private timer?: { clear(): void };
  private ticking = false;
  private ringing = 0;
  private waiting = 0;
  private active = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly holder: string;

  constructor(private readonly o: CampaignDialerOptions) {
    this.campaign = o.campaign;
    this.stats = o.stats ?? new LiveStats({ abandonWindowMs: o.campaign.abandonWindowMs });
    this.pacer = o.pacer ?? pacerFor(o.campaign, { agentlessLines: o.campaign.agentlessLines, active: () => this.active });
    this.holder = o.instanceId ?? `dialer-${process.pid}`;
  }

  get counts(): { ringing: number; waiting: number; active: number } {
    return { ringing: this.ringing, waiting: this.waiting, active: this.active };
  }

  /** Campaign edits (windows, targets) take effect on the next tick. */
  updateCampaign(c: Campaign): void {
    this.campaign = c;
  }

  start(): void {
    if (this.timer) return;
    this.timer = this.o.clock.setInterval(() => void this.tick(), this.o.tickMs ?? 1000);
  }

  /** Stops dialing; calls in progress finish. */
  async stop(): Promise<void> {
    this.timer?.clear();
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight]);
  }

  /** One pacing round; public so tests and the simulation can step it. */
  async tick(): Promise<number> {
    if (this.ticking) return 0;
    this.ticking = true;
    try {
      const c = this.campaign;
      const now = this.o.clock.now();
      const agents = c.dialMode === 'agentless' ? [] : await this.o.agents.snapshot(c.id);
      this.stats.observeAgents(agents);
      const { dial } = this.pacer.decide({ now, agents, ringing: this.ringing, waiting: this.waiting, stats: this.stats });
      if (dial <= 0) return 0;
      const eligible = this.eligibility(agents);
      const claims = await this.o.leads.claim({ campaign: c, count: dial, now, holder: this.holder, ...(eligible ? { eligible } : {}) });
      let placed = 0;
      for (const claim of claims) {
        let reservation: AgentReservation | null = null;
        if (c.dialMode === 'progressive') {
          // Progressive reserves the agent before dialing: an answered call always has someone.
          reservation = await this.o.agents.reserve(this.reserveRequest(claim.lead, 0));
          if (!reservation) {
            await this.o.leads.unclaim(claim);
            continue;
          }
        }
        this.track(this.placeCall(claim, reservation));
        placed++;
      }
      return placed;
    } catch (err) {
      this.o.log.error({ err, campaignId: this.campaign.id }, 'dialer tick failed');
      return 0;
    } finally {
      this.ticking = false;
    }
  }

  /** Preview mode: the agent clicked "dial" on a lead claimed for them. */
  previewDial(claim: ClaimedLead, agentId: string): Promise<void> {
    const p = (async () => {
      const r = await this.o.agents.reserve({ campaignId: this.campaign.id, preferredAgentId: agentId, onlyPreferred: true, waitMs: 0 });
      if (!r) {
        await this.o.leads.unclaim(claim);
        throw new Error(`agent ${agentId} is not available`);
      }
      await this.placeCall(claim, r);
    })();
    this.track(p.catch(() => undefined));
    return p;
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private eligibility(agents: AgentState[]): ((l: DialLead) => boolean) | undefined {
    if (this.campaign.ownerRouting !== 'strict') return undefined;
    const idle = new Set(agents.filter((a) => a.state === 'idle').map((a) => a.agentId));
    return (l) => !l.ownerAgentId || idle.has(l.ownerAgentId);
  }

  private reserveRequest(lead: DialLead, waitMs: number) {
    return {
      campaignId: this.campaign.id, waitMs,
      ...(lead.ownerAgentId ? { preferredAgentId: lead.ownerAgentId, onlyPreferred: this.campaign.ownerRouting === 'strict' } : {}),
    };
  }

  private count(metric: CallMetric, at: number): void {
    void this.o.callStats?.incr(this.campaign.id, metric, at).catch((err) => this.o.log.warn({ err }, 'call stats write failed'));
  }

  private emit(e: Omit<DialerEvent, 'campaignId'>): void {
    this.o.onEvent?.({ campaignId: this.campaign.id, ...e });
  }

  private async placeCall(claim: ClaimedLead, reservation: AgentReservation | null): Promise<void> {
    const c = this.campaign;
    const { lead } = claim;
    const clock = this.o.clock;
    const start = clock.now();
    // Defence in depth: the claim ran the full policy; re-check the window at the instant of dialing.
    if (!windowOpen(start, c.ringTimeoutMs, lead.timezone, c.callingWindows)) {
      this.o.log.warn({ campaignId: c.id, leadId: lead.id }, 'window closed between claim and dial; not dialing');
      if (reservation) await this.o.agents.release(reservation);
      await this.o.leads.unclaim(claim);
      return;
    }
    this.stats.onDialed();
    this.count('dialed', start);
    this.ringing++;
    this.emit({ type: 'dial', leadId: lead.id });
    let r: OriginateResult;
    try {
      r = await this.o.originator.originate({
        to: lead.phone, callerId: c.callerId, trunk: c.trunk, ringTimeoutMs: c.ringTimeoutMs, campaignId: c.id, leadId: lead.id,
        headers: { 'X-Campaign-Id': c.id, 'X-Lead-Id': lead.id }, allowedPrefixes: c.allowedPrefixes,
      });
    } catch (err) {
      this.o.log.warn({ err, campaignId: c.id, leadId: lead.id }, 'originate threw');
      r = { outcome: 'failed', ringMs: clock.now() - start, reason: (err as Error).message };
    } finally {
      this.ringing--;
    }
    const at = clock.now();
    if (r.outcome !== 'answered') {
      this.stats.onAttemptResult(false, r.ringMs, at);
      if (reservation) await this.o.agents.release(reservation);
      this.emit({ type: 'failed', leadId: lead.id, outcome: r.outcome });
      await this.o.leads.recordOutcome(claim, { outcome: r.outcome, at, ringMs: r.ringMs });
      return;
    }
    this.stats.onAttemptResult(true, r.ringMs, at);
    this.count('answered', at);
    // Audit figure for the compliance report (must stay 0): a call answered outside the lead's window.
    if (!isWithinCallingWindow(at, lead.timezone, c.callingWindows)) this.count('outsideHours', at);
    const call = r.call;
    const log = callLogger(this.o.log, call.callId, { campaignId: c.id, leadId: lead.id });
    this.emit({ type: 'answered', leadId: lead.id, callId: call.callId });
    const pop: ScreenPop = {
      campaignId: c.id, leadId: lead.id, callId: call.callId, phoneMasked: maskPhone(lead.phone, 'agent'), fields: lead.fields,
      attempts: lead.attempts + 1,
      ...(lead.name ? { name: lead.name } : {}), ...(lead.interest ? { interest: lead.interest } : {}),
      ...(lead.ownerAgentId ? { ownerAgentId: lead.ownerAgentId } : {}),
    };

    if (c.dialMode === 'agentless') {
      await this.runAgentless(claim, call, pop, r.ringMs, log);
      return;
    }

    let res = reservation;
    if (!res) {
      this.waiting++;
      try {
        res = await this.o.agents.reserve(this.reserveRequest(lead, c.abandonGraceMs));
      } finally {
        this.waiting--;
      }
    }
    let connected = false;
    if (res && !call.ended) {
      const cr = await this.o.agents.connect(res, call, pop).catch((err: Error) => ({ ok: false as const, reason: err.message }));
      connected = cr.ok;
      if (!cr.ok) {
        log.warn({ agentId: res.agentId, reason: cr.reason }, 'connect to agent failed');
        await this.o.agents.release(res);
      }
    } else if (res) {
      await this.o.agents.release(res);
    }
    if (!connected) {
      await this.abandon(claim, call, r.ringMs, log);
      return;
    }
    const talkStart = clock.now();
    this.count('connected', talkStart);
    if (c.recording.mode === 'all') await this.startRecording(call, res!.agentId, lead.id, log);
    this.emit({ type: 'connected', leadId: lead.id, callId: call.callId, agentId: res!.agentId });
    log.info({ agentId: res!.agentId }, 'customer connected to agent');
    const leads = this.o.leads;
    const keepLocked = leads.extend ? clock.setInterval(() => void leads.extend!(claim).catch(() => undefined), 60_000) : undefined;
    await waitForHangup(call);
    keepLocked?.clear();
    const talkMs = clock.now() - talkStart;
    this.stats.onTalkEnded(talkMs);
    this.emit({ type: 'ended', leadId: lead.id, callId: call.callId, agentId: res!.agentId });
    await this.o.leads.recordOutcome(claim, { outcome: 'connected', at: clock.now(), callId: call.callId, agentId: res!.agentId, ringMs: r.ringMs, talkMs });
  }

  /** Recording policy 'all': optional notice to both parties, then record with the call's metadata. */
  private async startRecording(call: CallChannel, agentId: string, leadId: string, log: Logger): Promise<void> {
    const c = this.campaign;
    try {
      if (c.recording.notice) await call.play([this.o.prompt ? this.o.prompt('recording-notice') : 'recording-notice']);
      await call.startRecording({ campaignId: c.id, agentId, leadId, noticePlayed: c.recording.notice });
    } catch (err) {
      log.warn({ err }, 'recording did not start');
    }
  }

  /** No agent within the grace time: safe-harbor message, hang up, count an abandon (and a 72 h cooldown). */
  private async abandon(claim: ClaimedLead, call: CallChannel, ringMs: number, log: Logger): Promise<void> {
    const at = this.o.clock.now();
    this.stats.onAbandoned(at);
    this.count('abandoned', at);
    log.info('no agent within grace time: safe-harbor message, abandoned');
    if (!call.ended) {
      await call.play([this.o.prompt ? this.o.prompt(this.campaign.safeHarborPrompt) : this.campaign.safeHarborPrompt]).catch((err) => log.warn({ err }, 'safe-harbor play failed'));
      await call.hangup().catch(() => undefined);
    }
    this.emit({ type: 'abandoned', leadId: claim.lead.id, callId: call.callId });
    await this.o.leads.recordOutcome(claim, { outcome: 'abandoned', at, callId: call.callId, ringMs });
  }

  private async runAgentless(claim: ClaimedLead, call: CallChannel, pop: ScreenPop, ringMs: number, log: Logger): Promise<void> {
    const c = this.campaign;
    this.active++;
    let res: { completed: boolean; optOut?: boolean; result?: string } = { completed: false, result: 'no runner' };
    try {
      if (this.o.agentless && c.agentlessFlowId) {
        res = await this.o.agentless.run(call, { flowId: c.agentlessFlowId, campaignId: c.id, leadId: claim.lead.id, pop });
      } else log.error('agentless campaign without a runner or flow id');
    } catch (err) {
      log.warn({ err }, 'agentless flow failed');
    } finally {
      this.active--;
      if (!call.ended) await call.hangup().catch(() => undefined);
    }
    this.emit({ type: 'agentless-done', leadId: claim.lead.id, callId: call.callId, ...(res.result ? { outcome: res.result } : {}) });
    await this.o.leads.recordOutcome(claim, {
      outcome: 'agentless-done', at: this.o.clock.now(), callId: call.callId, ringMs,
      ...(res.result ? { result: res.result } : {}), ...(res.optOut ? { optOut: true } : {}),
    });
  }
}

function waitForHangup(call: CallChannel): Promise<void> {
  if (call.ended) return Promise.resolve();
  return new Promise((resolve) => call.once('hangup', () => resolve()));
}
