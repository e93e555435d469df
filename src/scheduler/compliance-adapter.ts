import type { CallingWindows } from '../compliance/calling-window.js';
import { campaignScope, type DncStore } from '../compliance/dnc-store.js';
import type { CompliancePolicy } from '../compliance/policy.js';
import type { PaymentStore } from './payment-store.js';
import type { DialDecision, DialGuard, DialTarget, OptOutSink } from './ports.js';

/** Calling windows and toll-fraud prefixes of a scope (a campaign or a payment portfolio). */
export interface ScopeRules {
  callingWindows: CallingWindows;
  allowedPrefixes: readonly string[];
}

export type ScopeResolver = (scopeId: string) => Promise<ScopeRules | null>;

/**
 * DialGuard over src/compliance CompliancePolicy: DNC (global + the scope's list), calling window in the
 * customer's zone (with a ring margin), frequency caps shared with the dialer, refusals logged.
 */
export function complianceDialGuard(o: { policy: CompliancePolicy; scopes: ScopeResolver; ringMarginMs?: number }): DialGuard {
  return {
    async check(t: DialTarget, now: number, opts: { consume?: boolean } = {}): Promise<DialDecision> {
      const rules = await o.scopes(t.scopeId);
      if (!rules) return { allowed: false, reason: 'unknown-scope', detail: t.scopeId };
      const d = await o.policy.check(
        { id: t.leadId ?? t.phone, phone: t.phone, timezone: t.timezone },
        { id: t.scopeId, callingWindows: rules.callingWindows, allowedPrefixes: rules.allowedPrefixes },
        now,
        { consumeCap: opts.consume ?? false, ringMarginMs: o.ringMarginMs ?? 60_000 },
      );
      if (d.allowed) return { allowed: true };
      return { allowed: false, reason: d.reason, ...(d.detail ? { detail: d.detail } : {}), ...(d.nextAllowedAt !== undefined ? { nextAllowedAt: d.nextAllowedAt } : {}) };
    },
  };
}

/** Portfolio ids resolve to the portfolio's windows and prefixes; chain with a campaign resolver for callbacks. */
export function portfolioScopes(store: PaymentStore, fallback?: ScopeResolver): ScopeResolver {
  return async (id) => {
    const p = await store.getPortfolio(id);
    if (p) return { callingWindows: p.callingWindows, allowedPrefixes: p.allowedPrefixes };
    return fallback ? fallback(id) : null;
  };
}

/** Key 3 in the reminder: the number goes on the portfolio's DNC list (checked by the same DialGuard). */
export function dncOptOut(dnc: DncStore): OptOutSink {
  return {
    async optOut(phone, scopeId, reason) {
      await dnc.add({ phone, scope: campaignScope(scopeId), reason, source: 'ivr-opt-out' });
    },
  };
}

/** Campaign ids resolve to the campaign's windows and prefixes (src/dialer CampaignStore fits). */
export function campaignScopes(campaigns: { get(id: string): Promise<ScopeRules | null> }, fallback?: ScopeRules): ScopeResolver {
  return async (id) => {
    const c = await campaigns.get(id);
    return c ? { callingWindows: c.callingWindows, allowedPrefixes: c.allowedPrefixes } : fallback ?? null;
  };
}

/** Rules for callbacks without a campaign (scope 'callbacks' by default): configured windows and prefixes. */
export function withScope(scopeId: string, rules: ScopeRules, next: ScopeResolver): ScopeResolver {
  return async (id) => (id === scopeId ? rules : next(id));
}
