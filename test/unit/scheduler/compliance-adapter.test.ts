import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { testRedis } from '../../support/redis.js';
import { CompliancePolicy, DncStore, FrequencyCaps } from '../../../src/compliance/index.js';
import { complianceDialGuard, dncOptOut, portfolioScopes } from '../../../src/scheduler/compliance-adapter.js';
import { PaymentStore } from '../../../src/scheduler/payment-store.js';
import { portfolioSchema } from '../../../src/scheduler/payment-schema.js';
import { RefusalLog } from '../../../src/compliance/refusal-log.js';

const r = testRedis();
afterAll(() => r.cleanup());

const dnc = new DncStore(r.redis, r.keys);
const caps = new FrequencyCaps(r.redis, r.keys);
const policy = new CompliancePolicy({ dnc, caps, refusals: new RefusalLog(r.redis, r.keys, pino({ level: 'silent' })) });
const store = new PaymentStore(r.redis, r.keys);
const guard = complianceDialGuard({ policy, scopes: portfolioScopes(store), ringMarginMs: 60_000 });
const target = { phone: '+8613800138000', timezone: 'Asia/Shanghai', scopeId: 'pf' };
// Tuesday 2026-11-24 in Shanghai (UTC+8)
const at = (hhmm: string) => Date.parse(`2026-11-24T${hhmm}:00+08:00`);

describe('DialGuard over src/compliance', () => {
  it('uses the portfolio windows in the customer zone and reports the next allowed time', async () => {
    await store.savePortfolio(portfolioSchema.parse({ id: 'pf', allowedPrefixes: ['+86'] }));
    expect(await guard.check(target, at('10:00'))).toEqual({ allowed: true });
    const night = await guard.check(target, at('22:30'));
    expect(night).toMatchObject({ allowed: false, reason: 'outside-calling-window', nextAllowedAt: Date.parse('2026-11-25T09:00:00+08:00') });
    const lunch = await guard.check(target, at('12:10'));
    expect(lunch).toMatchObject({ allowed: false, nextAllowedAt: at('13:30') });
    expect(await guard.check({ ...target, scopeId: 'unknown' }, at('10:00'))).toMatchObject({ allowed: false, reason: 'unknown-scope' });
    expect(await guard.check({ ...target, phone: '+14155550100' }, at('10:00'))).toMatchObject({ allowed: false, reason: 'destination-not-allowed' });
  });

  it('consume counts attempts against the shared frequency caps', async () => {
    const t2 = { ...target, phone: '+8613800138001' };
    for (let i = 0; i < 3; i++) expect(await guard.check(t2, at('10:00') + i * 1000, { consume: true })).toEqual({ allowed: true });
    const capped = await guard.check(t2, at('10:05'), { consume: true });
    expect(capped).toMatchObject({ allowed: false, reason: 'frequency-cap' });
    expect((capped as { nextAllowedAt: number }).nextAllowedAt).toBe(at('10:00') + 24 * 3600_000);
  });

  it('opt-out puts the number on the portfolio DNC list, which the guard then refuses', async () => {
    const t3 = { ...target, phone: '+8613800138002' };
    await dncOptOut(dnc).optOut(t3.phone, 'pf', 'pressed 3');
    expect(await guard.check(t3, at('10:00'))).toMatchObject({ allowed: false, reason: 'dnc-campaign' });
    expect((await dnc.check(t3.phone, 'pf')).listed).toBe(true);
    expect((await dnc.check(t3.phone, 'other')).listed).toBe(false);
  });
});

describe('scope resolvers', () => {
  it('portfolio, then campaign, then the fixed scope of campaign-less callbacks; unknown stays unknown', async () => {
    const { campaignScopes, withScope } = await import('../../../src/scheduler/compliance-adapter.js');
    const { DEFAULT_CALLING_WINDOWS } = await import('../../../src/compliance/index.js');
    const campaigns = { get: async (id: string) => (id === 'camp1' ? { callingWindows: DEFAULT_CALLING_WINDOWS, allowedPrefixes: ['+1'] } : null) };
    const scopes = withScope('callbacks', { callingWindows: DEFAULT_CALLING_WINDOWS, allowedPrefixes: ['+86'] }, portfolioScopes(store, campaignScopes(campaigns)));
    expect((await scopes('pf'))?.allowedPrefixes).toEqual(['+86']);
    expect((await scopes('camp1'))?.allowedPrefixes).toEqual(['+1']);
    expect((await scopes('callbacks'))?.allowedPrefixes).toEqual(['+86']);
    expect(await scopes('nope')).toBeNull();
  });
});
