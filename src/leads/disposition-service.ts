import { campaignScope, type DncStore } from '../compliance/dnc-store.js';
import { HttpError } from '../api/error-handler.js';
import type { Campaign } from '../dialer/campaign.js';
import type { Disposition, InterestLevel } from './dispositions.js';
import type { Lead } from './lead.js';
import type { LeadStore } from './lead-store.js';
import type { Logger } from '../logger.js';

export interface DispositionInput {
  leadId: string;
  code: string;
  agentId?: string;
  callId?: string;
  /** Required for callback dispositions (ms epoch); defaults to +24 h. */
  callbackAt?: number;
  interest?: InterestLevel;
  note?: string;
}

const DAY = 24 * 3600_000;

/** A callback booked from a disposition (the scheduler turns it into a scheduled callback for the owner). */
export interface DispositionCallback {
  leadId: string;
  phone: string;
  /** The lead's IANA zone (calling windows). */
  timezone: string;
  campaignId: string;
  queueId?: string;
  /** The lead's owner after this disposition (the customer stays with their rep). */
  ownerAgentId?: string;
  /** Who dispositioned (agent id, or absent for an admin/supervisor). */
  agentId?: string;
  callbackAt: number;
  callId?: string;
  note?: string;
}

/**
 * Optional scheduler hooks (src/scheduler/wiring.ts dispositionHooks): without them a callback disposition only
 * re-queues the lead in the dialer at callbackAt, and a final one only stops dialling.
 */
export interface DispositionHooks {
  /** Book a real scheduled callback; the lead then leaves the dialer's queue (the scheduler calls it back). */
  scheduleCallback?(c: DispositionCallback): Promise<{ callbackId: string }>;
  /** Sale ('completed') or closed (final, refused): follow-up plans end and open callbacks are cancelled. */
  closeLead?(leadId: string, outcome: 'completed' | 'closed', by: string): Promise<void>;
}

/** What an applied disposition reports to listeners (KPI counters: dials, connects, conversions per agent). */
export interface AppliedDisposition {
  campaignId: string;
  disposition: Disposition;
  input: DispositionInput;
  at: number;
}
export type DispositionListener = (d: AppliedDisposition) => Promise<void> | void;

export interface DispositionServiceDeps {
  store: LeadStore;
  dnc: DncStore;
  hooks?: DispositionHooks;
  /** Hook failures are logged and fall back to the dialer-only behaviour. */
  log?: Pick<Logger, 'warn'>;
}

/**
 * Applies an agent's disposition: attempt history, refusal -> campaign DNC with the campaign's period,
 * callback scheduling, retry or stop, and ownership (first rep to talk to an unowned customer owns it).
 */
export class DispositionService {
  private readonly listeners = new Set<DispositionListener>();

  constructor(private readonly d: DispositionServiceDeps) {}

  /** Observers of applied dispositions (KPI counters); their failures are logged, never undo the disposition. */
  onApplied(l: DispositionListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** The scheduler is built after the dialer in the composition root: its hooks can be attached later. */
  useHooks(hooks: DispositionHooks): void {
    this.d.hooks = hooks;
  }

  async apply(campaign: Campaign, input: DispositionInput, now = Date.now()): Promise<Lead> {
    const { store, dnc } = this.d;
    const lead = await store.get(input.leadId);
    if (!lead || lead.campaignId !== campaign.id) throw new HttpError(404, 'not_found', `lead ${input.leadId} not found in campaign`);
    const disp = campaign.dispositions.find((x) => x.code === input.code);
    if (!disp) throw new HttpError(400, 'bad_request', `unknown disposition ${input.code}; known: ${campaign.dispositions.map((x) => x.code).join(', ')}`);

    await store.addAttempt(lead.id, {
      at: now, campaignId: campaign.id, outcome: 'disposition', disposition: disp.code,
      ...(input.agentId ? { agentId: input.agentId } : {}), ...(input.callId ? { callId: input.callId } : {}),
      ...(input.note ? { note: input.note } : {}),
    });
    const patch: Partial<Lead> = { lastDisposition: disp.code, ...(input.interest ? { interest: input.interest } : {}) };
    if (disp.humanAnswered && input.agentId && !lead.ownerAgentId) patch.ownerAgentId = input.agentId;

    let next: number | null;
    let close: 'completed' | 'closed' | undefined;
    if (disp.dnc) {
      await dnc.add({
        phone: lead.phone, scope: campaignScope(campaign.id), reason: `disposition ${disp.code}`, source: 'disposition',
        ...(campaign.refusalDncDays ? { expiresAt: now + campaign.refusalDncDays * DAY } : {}),
      });
      patch.status = 'dnc';
      next = null;
      close = 'closed';
    } else if (disp.final) {
      patch.status = 'done';
      next = null;
      close = disp.sale ? 'completed' : 'closed';
    } else if (disp.callback) {
      next = input.callbackAt ?? now + DAY;
      if (next <= now) throw new HttpError(400, 'bad_request', 'callbackAt must be in the future');
      patch.status = 'callback';
      if (await this.bookCallback(lead, campaign, input, patch.ownerAgentId ?? lead.ownerAgentId, next)) next = null;
    } else if (lead.attempts >= campaign.retry.maxAttempts) {
      patch.status = 'exhausted';
      next = null;
    } else {
      next = now + campaign.retry.dispositionRetryMs;
      patch.status = 'queued';
    }
    const updated = await store.update(lead.id, patch, now);
    await store.schedule(lead, next);
    if (close && this.d.hooks?.closeLead) {
      await this.d.hooks.closeLead(lead.id, close, input.agentId ?? 'disposition').catch((err: unknown) =>
        this.d.log?.warn({ err, leadId: lead.id }, 'closing the lead in the scheduler failed'));
    }
    for (const l of this.listeners) {
      try {
        await l({ campaignId: campaign.id, disposition: disp, input, at: now });
      } catch (err) {
        this.d.log?.warn({ err, leadId: lead.id }, 'disposition listener failed');
      }
    }
    // `updated` was read before schedule(): without a next attempt its old nextAttemptAt is stale
    const out: Lead = { ...updated };
    delete out.nextAttemptAt;
    return { ...out, ...(next !== null ? { nextAttemptAt: next } : {}) };
  }

  /** true when the scheduler booked it (the dialer must then not call the lead as well). */
  private async bookCallback(lead: Lead, campaign: Campaign, input: DispositionInput, ownerAgentId: string | undefined, at: number): Promise<boolean> {
    const schedule = this.d.hooks?.scheduleCallback;
    if (!schedule) return false;
    try {
      await schedule({
        leadId: lead.id, phone: lead.phone, timezone: lead.timezone, campaignId: campaign.id, callbackAt: at,
        ...(campaign.queueId ? { queueId: campaign.queueId } : {}), ...(ownerAgentId ? { ownerAgentId } : {}),
        ...(input.agentId ? { agentId: input.agentId } : {}), ...(input.callId ? { callId: input.callId } : {}),
        ...(input.note ? { note: input.note } : {}),
      });
      return true;
    } catch (err) {
      // the customer asked to be called: the dialer's re-queue is better than losing the callback
      this.d.log?.warn({ err, leadId: lead.id }, 'scheduling the callback failed; re-queueing the lead in the dialer instead');
      return false;
    }
  }
}
