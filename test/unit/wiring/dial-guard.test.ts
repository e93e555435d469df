import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createDialerServices, type DialerServices } from '../../../src/dialer/services.js';
import { PaymentStore } from '../../../src/scheduler/payment-store.js';
import { portfolioSchema } from '../../../src/scheduler/payment-schema.js';
import { callingWindowsSchema } from '../../../src/compliance/calling-window.js';
import { campaignScope } from '../../../src/compliance/dnc-store.js';
import { schedulerDialGuard } from '../../../src/wiring/dial-guard.js';
import type { DialGuard } from '../../../src/scheduler/ports.js';
import { testRedis } from '../../support/redis.js';

/** The scheduler's DialGuard over the real compliance stores (Redis): scope resolution, windows, DNC, caps. */
const r = testRedis();
let svc: DialerServices;
let guard: DialGuard;
let campaignId: string;
// Tuesday 2026-11-24 10:00 in Shanghai (02:00 UTC): inside the default window
const open = Date.UTC(2026, 10, 24, 2, 0);
// 23:00 in Shanghai: outside
const closed = Date.UTC(2026, 10, 24, 15, 0);

beforeAll(async () => {
  svc = createDialerServices({ redis: r.redis, keys: r.keys, log: pino({ level: 'silent' }) });
  const payments = new PaymentStore(r.redis, r.keys);
  await payments.savePortfolio(portfolioSchema.parse({ id: 'loans', allowedPrefixes: ['+86'], callingWindows: { weekdays: [{ start: '08:00', end: '09:00' }] } }));
  const c = await svc.campaigns.create({ name: 'Renewals', trunk: 'default', callerId: '+861000000000', dialMode: 'preview', allowedPrefixes: ['+86'] } as Parameters<typeof svc.campaigns.create>[0]);
  campaignId = c.id;
  guard = schedulerDialGuard({
    policy: svc.policy, campaigns: svc.campaigns, portfolios: payments,
    defaultScope: { id: 'callbacks', callingWindows: callingWindowsSchema.parse({}), allowedPrefixes: ['+44'] },
  });
});
afterAll(() => r.cleanup());

const target = (scopeId: string, phone = '+8613800138000') => ({ phone, timezone: 'Asia/Shanghai', scopeId });

describe('schedulerDialGuard', () => {
  it("uses a campaign's calling window and prefixes", async () => {
    expect(await guard.check(target(campaignId), open)).toEqual({ allowed: true });
    const late = await guard.check(target(campaignId), closed);
    expect(late).toMatchObject({ allowed: false, reason: 'outside-calling-window' });
    expect(late.allowed === false && late.nextAllowedAt! > closed).toBe(true);
    expect(await guard.check(target(campaignId, '+15551234567'), open)).toMatchObject({ allowed: false, reason: 'destination-not-allowed' });
  });

  it("uses a portfolio's own window before campaigns", async () => {
    // 10:00 is outside the portfolio's 08:00-09:00
    expect(await guard.check(target('loans'), open)).toMatchObject({ allowed: false, reason: 'outside-calling-window' });
    expect(await guard.check(target('loans'), open - 90 * 60_000)).toEqual({ allowed: true });
  });

  it('uses the default scope for callbacks without a campaign, and refuses unknown scopes', async () => {
    // 10:00 UTC is 18:00 in Shanghai: the default windows' evening-meal blackout applies
    expect(await guard.check(target('callbacks', '+441632960123'), Date.UTC(2026, 10, 24, 10, 0))).toMatchObject({ allowed: false, reason: 'outside-calling-window' });
    expect(await guard.check({ phone: '+447700900123', timezone: 'Europe/London', scopeId: 'callbacks' }, Date.UTC(2026, 10, 24, 10, 0))).toEqual({ allowed: true });
    expect(await guard.check(target('callbacks'), open)).toMatchObject({ allowed: false, reason: 'destination-not-allowed' });
    expect(await guard.check(target('nope'), open)).toEqual({ allowed: false, reason: 'unknown-scope', detail: 'nope' });
  });

  it("refuses numbers on the scope's DNC list", async () => {
    await svc.dnc.add({ phone: '+8613900139000', scope: campaignScope(campaignId), reason: 'refused', source: 'manual' });
    expect(await guard.check(target(campaignId, '+8613900139000'), open)).toMatchObject({ allowed: false, reason: 'dnc-campaign' });
  });
});
