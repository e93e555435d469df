import type { Logger } from '../logger.js';
import type { CompliancePolicy } from '../compliance/policy.js';
import { campaignScope, type DncStore } from '../compliance/dnc-store.js';
import type { FrequencyCaps } from '../compliance/frequency-caps.js';
import type { Lead } from '../leads/lead.js';
import type { LeadLock, LeadLockHandle } from '../leads/lead-lock.js';
import type { LeadStore } from '../leads/lead-store.js';
import { nextAttemptAfter } from '../leads/recycling.js';
import type { Campaign } from './campaign.js';
import type { CallOutcome, ClaimedLead, ClaimRequest, DialLead, LeadQueue } from './lead-queue.js';

interface Held {
  handle: LeadLockHandle;
  campaign: Campaign;
  capToken?: string;
}

const DAY = 24 * 3600_000;

export function toDialLead(l: Lead): DialLead {
  return {
    id: l.id, campaignId: l.campaignId, phone: l.phone, timezone: l.timezone, fields: l.fields, attempts: l.attempts,
    ...(l.name ? { name: l.name } : {}), ...(l.interest ? { interest: l.interest } : {}),
    ...(l.ownerAgentId ? { ownerAgentId: l.ownerAgentId } : {}),
  };
}

/**
 * The live lead queue: due leads from the campaign's Redis queue, each locked (SET NX PX) and checked by the
 * compliance policy at claim time (the frequency-cap slot is taken atomically). Refused leads are moved to
 * the time they become callable, or out of the queue; every refusal is in the refusal log.
 */
export class RedisLeadQueue implements LeadQueue {
  constructor(private readonly d: {
    store: LeadStore; lock: LeadLock; policy: CompliancePolicy; dnc: DncStore; caps: FrequencyCaps; log: Logger;
    /** While dialing, the lead's queue score is pushed this far ahead so scans skip it. */
    leaseMs?: number;
  }) {}

  async claim(req: ClaimRequest): Promise<ClaimedLead[]> {
    const { store, lock, policy } = this.d;
    const c = req.campaign;
    const out: ClaimedLead[] = [];
    let skipped = 0;
    let scanned = 0;
    const scanLimit = req.count * 10 + 50;
    while (out.length < req.count && scanned < scanLimit) {
      const ids = await store.due(c.id, req.now, (req.count - out.length) * 2 + 10, skipped);
      if (!ids.length) break;
      for (const id of ids) {
        if (out.length >= req.count) break;
        scanned++;
        const handle = await lock.acquire(id, req.holder);
        if (!handle) {
          skipped++; // dialing elsewhere (another instance or a previewing agent)
          continue;
        }
        const lead = await store.get(id);
        if (!lead) {
          await store.schedule({ id, campaignId: c.id }, null);
          await lock.release(handle);
          continue;
        }
        const dl = toDialLead(lead);
        if (req.eligible && !req.eligible(dl)) {
          skipped++;
          await lock.release(handle);
          continue;
        }
        const decision = await policy.check(lead, { ...c, maxAttempts: c.retry.maxAttempts }, req.now, { consumeCap: true, ringMarginMs: c.ringTimeoutMs });
        if (!decision.allowed) {
          await this.applyRefusal(lead, decision.reason, decision.nextAllowedAt, req.now);
          await lock.release(handle);
          continue;
        }
        await store.schedule(lead, req.now + (this.d.leaseMs ?? 10 * 60_000));
        await store.update(lead.id, { status: 'dialing' }, req.now);
        out.push({ lead: dl, lock: { handle, campaign: c, ...(decision.capToken ? { capToken: decision.capToken } : {}) } satisfies Held });
      }
    }
    return out;
  }

  async unclaim(claim: ClaimedLead): Promise<void> {
    const held = claim.lock as Held;
    // Nothing was dialed: the frequency-cap slot taken at claim time is given back.
    if (held.capToken) await this.d.caps.refund(claim.lead.phone, held.capToken);
    await this.d.store.schedule(claim.lead, Date.now());
    await this.d.store.update(claim.lead.id, { status: 'queued' });
    await this.d.lock.release(held.handle);
  }

  async extend(claim: ClaimedLead): Promise<void> {
    const held = claim.lock as Held;
    const lease = this.d.leaseMs ?? 10 * 60_000;
    if (await this.d.lock.extend(held.handle)) await this.d.store.schedule(claim.lead, Date.now() + lease);
  }

  async recordOutcome(claim: ClaimedLead, o: CallOutcome): Promise<void> {
    const held = claim.lock as Held;
    const c = held.campaign;
    const { store } = this.d;
    try {
      const lead = await store.get(claim.lead.id);
      if (!lead) return;
      const attempts = lead.attempts + 1;
      await store.addAttempt(lead.id, {
        at: o.at, campaignId: c.id, outcome: o.outcome,
        ...(o.callId ? { callId: o.callId } : {}), ...(o.agentId ? { agentId: o.agentId } : {}),
        ...(o.ringMs !== undefined ? { ringMs: Math.round(o.ringMs) } : {}), ...(o.talkMs !== undefined ? { talkMs: Math.round(o.talkMs) } : {}),
        ...(o.result ? { note: o.result } : {}),
      });
      if (o.optOut) {
        await this.d.dnc.add({
          phone: lead.phone, scope: campaignScope(c.id), reason: 'IVR opt-out key', source: 'ivr-opt-out',
          ...(c.refusalDncDays ? { expiresAt: o.at + c.refusalDncDays * DAY } : {}),
        });
        await store.update(lead.id, { attempts, lastOutcome: 'opt-out', status: 'dnc' }, o.at);
        await store.schedule(lead, null);
        return;
      }
      // A connected lead waits for the agent's disposition; if none ever comes it is retried after
      // dispositionRetryMs rather than stuck out of the queue (the disposition reschedules it).
      const next = o.outcome === 'connected'
        ? (attempts >= c.retry.maxAttempts ? null : o.at + c.retry.dispositionRetryMs)
        : nextAttemptAfter(o.outcome, attempts, c.retry, o.at);
      const status: Lead['status'] = o.outcome === 'connected' ? 'wrap-up' : next === null ? (o.outcome === 'agentless-done' ? 'done' : 'exhausted') : 'queued';
      await store.update(lead.id, {
        attempts, lastOutcome: o.outcome, status,
        ...(o.outcome === 'abandoned' ? { noCallBefore: o.at + c.retry.abandonCooldownMs } : {}),
      }, o.at);
      await store.schedule(lead, next);
    } finally {
      await this.d.lock.release(held.handle);
    }
  }

  private async applyRefusal(lead: Lead, reason: string, nextAllowedAt: number | undefined, now: number): Promise<void> {
    const { store } = this.d;
    if (nextAllowedAt !== undefined) {
      await store.schedule(lead, nextAllowedAt);
      return;
    }
    // Permanent refusals leave the queue: permanent DNC, max attempts, destination not allowed, no window at all.
    const status: Lead['status'] = reason.startsWith('dnc') ? 'dnc' : 'exhausted';
    await store.update(lead.id, { status, lastOutcome: `refused:${reason}` }, now);
    await store.schedule(lead, null);
  }
}
