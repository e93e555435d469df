import type { CallingWindows } from './calling-window.js';
import { isWithinCallingWindow, nextAllowedTime } from './calling-window.js';
import type { DncStore } from './dnc-store.js';
import type { FrequencyCaps } from './frequency-caps.js';
import type { RefusalLog, RefusalReason } from './refusal-log.js';
import { isDestinationAllowed } from './toll-fraud.js';

/** The lead fields compliance needs (the scheduler can pass its own objects). */
export interface ComplianceLead {
  id: string;
  /** E.164. */
  phone: string;
  /** IANA zone of the lead. */
  timezone: string;
  /** ms epoch; e.g. 72 h after an abandoned call. */
  noCallBefore?: number;
  attempts?: number;
}

export interface ComplianceCampaign {
  id: string;
  callingWindows: CallingWindows;
  allowedPrefixes: readonly string[];
  maxAttempts?: number;
}

export type ComplianceDecision =
  /** capToken: the frequency-cap slot taken with consumeCap, for FrequencyCaps.refund if no call is placed. */
  | { allowed: true; capToken?: string }
  | { allowed: false; reason: RefusalReason; detail?: string; nextAllowedAt?: number };

export interface CheckOptions {
  /** Count the attempt against the frequency caps when allowed (dial time). Default false. */
  consumeCap?: boolean;
  /** Write refused checks to the refusal log. Default true. */
  logRefusal?: boolean;
  /**
   * The window must still be open this long after `now` (the ring time), so a call started at 20:59:50
   * cannot ring or be answered after 21:00. Default 0.
   */
  ringMarginMs?: number;
}

/** Every guard a call must pass, in one place, used by the dialer and by scheduled callbacks/reminders. */
export class CompliancePolicy {
  constructor(private readonly deps: { dnc: DncStore; caps: FrequencyCaps; refusals?: RefusalLog }) {}

  async check(lead: ComplianceLead, campaign: ComplianceCampaign, now = Date.now(), opts: CheckOptions = {}): Promise<ComplianceDecision> {
    const d = await this.decide(lead, campaign, now, opts.consumeCap ?? false, opts.ringMarginMs ?? 0);
    if (!d.allowed && opts.logRefusal !== false && this.deps.refusals) {
      await this.deps.refusals.record({
        at: now, campaignId: campaign.id, leadId: lead.id, phone: lead.phone, reason: d.reason,
        ...(d.detail ? { detail: d.detail } : {}), ...(d.nextAllowedAt ? { nextAllowedAt: d.nextAllowedAt } : {}),
      });
    }
    return d;
  }

  private async decide(lead: ComplianceLead, c: ComplianceCampaign, now: number, consume: boolean, margin: number): Promise<ComplianceDecision> {
    if (!isDestinationAllowed(lead.phone, c.allowedPrefixes)) {
      return { allowed: false, reason: 'destination-not-allowed', detail: `${lead.phone.slice(0, 4)}... matches none of ${c.allowedPrefixes.join(',')}` };
    }
    const dnc = await this.deps.dnc.check(lead.phone, c.id, now);
    if (dnc.listed) {
      const exp = dnc.entry.expiresAt;
      return {
        allowed: false, reason: dnc.entry.scope === 'global' ? 'dnc-global' : 'dnc-campaign', detail: dnc.entry.reason,
        ...(exp !== undefined && Number.isFinite(exp) ? { nextAllowedAt: exp } : {}),
      };
    }
    if (c.maxAttempts !== undefined && (lead.attempts ?? 0) >= c.maxAttempts) {
      return { allowed: false, reason: 'max-attempts', detail: `${lead.attempts} >= ${c.maxAttempts}` };
    }
    if (lead.noCallBefore && lead.noCallBefore > now) {
      return { allowed: false, reason: 'abandon-cooldown', nextAllowedAt: lead.noCallBefore };
    }
    if (!windowOpen(now, margin, lead.timezone, c.callingWindows)) {
      const next = nextOpenTime(now, margin, lead.timezone, c.callingWindows);
      if (next === null) return { allowed: false, reason: 'no-calling-window', detail: 'campaign windows allow no time' };
      return { allowed: false, reason: 'outside-calling-window', detail: lead.timezone, nextAllowedAt: next };
    }
    const cap = consume ? await this.deps.caps.tryConsume(lead.phone, now) : await this.deps.caps.check(lead.phone, now);
    if (!cap.allowed) {
      return { allowed: false, reason: 'frequency-cap', detail: `${cap.rule.max} ${cap.rule.label ?? `per ${cap.rule.windowMs} ms`}`, nextAllowedAt: cap.nextAllowedAt };
    }
    return cap.token ? { allowed: true, capToken: cap.token } : { allowed: true };
  }
}

/** Inside a window now and still inside `marginMs` later. */
export function windowOpen(now: number, marginMs: number, zone: string, w: CallingWindows): boolean {
  return isWithinCallingWindow(now, zone, w) && (marginMs <= 0 || isWithinCallingWindow(now + marginMs, zone, w));
}

/** First time at or after `now` when windowOpen holds (searched window by window; null if none within 8 days). */
export function nextOpenTime(now: number, marginMs: number, zone: string, w: CallingWindows): number | null {
  let t = now;
  for (let i = 0; i < 64; i++) {
    const n = nextAllowedTime(t, zone, w);
    if (n === null) return null;
    if (windowOpen(n, marginMs, zone, w)) return n;
    // The window containing n closes within the margin: look from just after its end.
    t = n + Math.max(marginMs, 60_000);
  }
  return null;
}

/** The earliest time a lead could be called considering only its calling window and cooldown (no I/O). */
export function nextCallableTime(lead: Pick<ComplianceLead, 'timezone' | 'noCallBefore'>, windows: CallingWindows, now = Date.now()): number | null {
  const from = Math.max(now, lead.noCallBefore ?? 0);
  return nextAllowedTime(from, lead.timezone, windows);
}
