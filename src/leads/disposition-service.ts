import { campaignScope, type DncStore } from '../compliance/dnc-store.js';
import { HttpError } from '../api/error-handler.js';
import type { Campaign } from '../dialer/campaign.js';
import type { InterestLevel } from './dispositions.js';
import type { Lead } from './lead.js';
import type { LeadStore } from './lead-store.js';

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

/**
 * Applies an agent's disposition: attempt history, refusal -> campaign DNC with the campaign's period,
 * callback scheduling, retry or stop, and ownership (first rep to talk to an unowned customer owns it).
 */
export class DispositionService {
  constructor(private readonly d: { store: LeadStore; dnc: DncStore }) {}

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
    if (disp.dnc) {
      await dnc.add({
        phone: lead.phone, scope: campaignScope(campaign.id), reason: `disposition ${disp.code}`, source: 'disposition',
        ...(campaign.refusalDncDays ? { expiresAt: now + campaign.refusalDncDays * DAY } : {}),
      });
      patch.status = 'dnc';
      next = null;
    } else if (disp.final) {
      patch.status = 'done';
      next = null;
    } else if (disp.callback) {
      next = input.callbackAt ?? now + DAY;
      if (next <= now) throw new HttpError(400, 'bad_request', 'callbackAt must be in the future');
      patch.status = 'callback';
    } else if (lead.attempts >= campaign.retry.maxAttempts) {
      patch.status = 'exhausted';
      next = null;
    } else {
      next = now + campaign.retry.dispositionRetryMs;
      patch.status = 'queued';
    }
    const updated = await store.update(lead.id, patch, now);
    await store.schedule(lead, next);
    return { ...updated, ...(next !== null ? { nextAttemptAt: next } : {}) };
  }
}
