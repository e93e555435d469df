import type { CallingWindows } from '../compliance/calling-window.js';
import type { CompliancePolicy } from '../compliance/policy.js';
import type { CampaignStore } from '../dialer/campaign-store.js';
import { complianceDialGuard, portfolioScopes, type ScopeResolver, type ScopeRules } from '../scheduler/compliance-adapter.js';
import type { PaymentStore } from '../scheduler/payment-store.js';
import type { DialGuard } from '../scheduler/ports.js';

export interface SchedulerDialGuardOptions {
  policy: CompliancePolicy;
  campaigns: Pick<CampaignStore, 'get'>;
  portfolios: Pick<PaymentStore, 'getPortfolio'>;
  /** Rules for callbacks that belong to no campaign (their scopeId is the callback runner's defaultScope). */
  defaultScope?: { id: string; callingWindows: CallingWindows; allowedPrefixes: readonly string[] };
  ringMarginMs?: number;
}

/** Campaign ids resolve to the campaign's own calling windows and toll-fraud prefixes. */
export function campaignScopes(campaigns: Pick<CampaignStore, 'get'>, fallback?: ScopeResolver): ScopeResolver {
  return async (id) => {
    const c = await campaigns.get(id);
    if (c) return { callingWindows: c.callingWindows, allowedPrefixes: c.allowedPrefixes };
    return fallback ? fallback(id) : null;
  };
}

/**
 * The scheduler's DialGuard over src/compliance (DNC, calling window, frequency caps shared with the dialer):
 * a scope is a payment portfolio, else a campaign, else the configured default scope; anything else is refused.
 */
export function schedulerDialGuard(o: SchedulerDialGuardOptions): DialGuard {
  const def = o.defaultScope;
  const defaults: ScopeResolver = async (id): Promise<ScopeRules | null> =>
    def && id === def.id ? { callingWindows: def.callingWindows, allowedPrefixes: def.allowedPrefixes } : null;
  const scopes = portfolioScopes(o.portfolios as PaymentStore, campaignScopes(o.campaigns, defaults));
  return complianceDialGuard({ policy: o.policy, scopes, ...(o.ringMarginMs !== undefined ? { ringMarginMs: o.ringMarginMs } : {}) });
}
