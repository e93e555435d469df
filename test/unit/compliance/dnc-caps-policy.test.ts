import { afterAll, describe, expect, it } from 'vitest';
import { testRedis } from '../../support/redis.js';
import { DncStore, campaignScope } from '../../../src/compliance/dnc-store.js';
import { FrequencyCaps } from '../../../src/compliance/frequency-caps.js';
import { RefusalLog } from '../../../src/compliance/refusal-log.js';
import { CompliancePolicy } from '../../../src/compliance/policy.js';
import { isDestinationAllowed } from '../../../src/compliance/toll-fraud.js';
import { DEFAULT_CALLING_WINDOWS } from '../../../src/compliance/calling-window.js';

const t = testRedis();
const H = 3600_000;
const DAY = 24 * H;
// Tue 2026-11-24 10:00 Shanghai.
const NOW = Date.parse('2026-11-24T02:00:00Z');

afterAll(() => t.cleanup());

describe('DNC store', () => {
  const dnc = new DncStore(t.redis, t.keys);

  it('global and campaign lists, checked separately', async () => {
    await dnc.add({ phone: '+8613800000001', scope: 'global', reason: 'complaint', source: 'manual' });
    await dnc.add({ phone: '+8613800000002', scope: campaignScope('c1'), reason: 'refused', source: 'disposition' });
    expect(await dnc.check('+8613800000001', 'c2', NOW)).toMatchObject({ listed: true, entry: { scope: 'global', reason: 'complaint' } });
    expect(await dnc.check('+8613800000002', 'c1', NOW)).toMatchObject({ listed: true, entry: { scope: 'campaign:c1' } });
    expect(await dnc.check('+8613800000002', 'c2', NOW)).toEqual({ listed: false });
    expect(await dnc.check('+8613800000002', undefined, NOW)).toEqual({ listed: false });
  });

  it('entries expire: listed until the expiry, not after; prune removes them', async () => {
    await dnc.add({ phone: '+8613800000003', scope: 'global', reason: 'refused', source: 'disposition', expiresAt: NOW + 30 * DAY });
    expect((await dnc.check('+8613800000003', undefined, NOW + 30 * DAY - 1)).listed).toBe(true);
    expect((await dnc.check('+8613800000003', undefined, NOW + 30 * DAY)).listed).toBe(false);
    expect(await dnc.prune('global', NOW + 31 * DAY)).toBe(1);
    const l = await dnc.list('global', { now: NOW });
    expect(l.entries.map((e) => e.phone)).toEqual(['+8613800000001']);
  });

  it('remove', async () => {
    expect(await dnc.remove('+8613800000001', 'global')).toBe(true);
    expect(await dnc.remove('+8613800000001', 'global')).toBe(false);
    expect((await dnc.check('+8613800000001', undefined, NOW)).listed).toBe(false);
  });
});

describe('frequency caps across campaigns', () => {
  const caps = new FrequencyCaps(t.redis, t.keys, [{ windowMs: DAY, max: 3, label: 'per day' }, { windowMs: 7 * DAY, max: 10, label: 'per week' }]);

  it('3 per rolling day, then refused until the oldest attempt leaves the window', async () => {
    const p = '+8613900000001';
    for (let i = 0; i < 3; i++) expect((await caps.tryConsume(p, NOW + i * H)).allowed).toBe(true);
    const r = await caps.tryConsume(p, NOW + 3 * H);
    expect(r).toMatchObject({ allowed: false, rule: { max: 3 }, nextAllowedAt: NOW + DAY });
    expect((await caps.check(p, NOW + DAY + 1)).allowed).toBe(true);
  });

  it('10 per week even when each day stays under 3', async () => {
    const p = '+8613900000002';
    let n = 0;
    for (let d = 0; d < 5; d++) for (let i = 0; i < 2; i++) if ((await caps.tryConsume(p, NOW + d * DAY + i * H)).allowed) n++;
    expect(n).toBe(10);
    const r = await caps.tryConsume(p, NOW + 5 * DAY);
    expect(r).toMatchObject({ allowed: false, rule: { max: 10 }, nextAllowedAt: NOW + 7 * DAY });
  });

  it('check does not count; concurrent consumers never exceed the cap', async () => {
    const p = '+8613900000003';
    await caps.check(p, NOW);
    await caps.check(p, NOW);
    const other = testRedis();
    const caps2 = new FrequencyCaps(other.redis, t.keys, caps.rules);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? caps : caps2).tryConsume(p, NOW + i)));
    other.redis.disconnect();
    expect(results.filter((r) => r.allowed)).toHaveLength(3);
  });
});

describe('toll-fraud guard', () => {
  it('only numbers starting with an allowed prefix', () => {
    expect(isDestinationAllowed('+8613800000000', ['+86'])).toBe(true);
    expect(isDestinationAllowed('+8610655299880', ['+8610'])).toBe(true);
    expect(isDestinationAllowed('+8613800000000', ['+8610'])).toBe(false);
    expect(isDestinationAllowed('+882345678901', ['+86', '+852'])).toBe(false); // satellite range
    expect(isDestinationAllowed('+8613800000000', [])).toBe(false);
    expect(isDestinationAllowed('8613800000000', ['+86'])).toBe(false); // not E.164
    expect(isDestinationAllowed('+8613800000000', ['86'])).toBe(true);
  });
});

describe('CompliancePolicy', () => {
  const dnc = new DncStore(t.redis, t.keys);
  const caps = new FrequencyCaps(t.redis, t.keys, [{ windowMs: DAY, max: 1 }]);
  const refusals = new RefusalLog(t.redis, t.keys);
  const policy = new CompliancePolicy({ dnc, caps, refusals });
  const campaign = { id: 'pc', callingWindows: DEFAULT_CALLING_WINDOWS, allowedPrefixes: ['+86'], maxAttempts: 5 };
  const lead = (phone: string, extra: object = {}) => ({ id: `L-${phone}`, phone, timezone: 'Asia/Shanghai', attempts: 0, ...extra });

  it('allows a clean lead and consumes a cap slot only when asked', async () => {
    expect(await policy.check(lead('+8613700000001'), campaign, NOW)).toEqual({ allowed: true });
    const taken = await policy.check(lead('+8613700000001'), campaign, NOW, { consumeCap: true });
    expect(taken).toEqual({ allowed: true, capToken: expect.any(String) });
    expect(await policy.check(lead('+8613700000001'), campaign, NOW)).toMatchObject({ allowed: false, reason: 'frequency-cap', nextAllowedAt: NOW + DAY });
    // A refunded slot (no call placed) is available again.
    await caps.refund('+8613700000001', (taken as { capToken: string }).capToken);
    expect(await policy.check(lead('+8613700000001'), campaign, NOW, { logRefusal: false })).toEqual({ allowed: true });
    await policy.check(lead('+8613700000001'), campaign, NOW, { consumeCap: true });
    expect(await policy.check(lead('+8613700000001'), campaign, NOW)).toMatchObject({ reason: 'frequency-cap' });
  });

  it('refuses with the reason and when it may be called', async () => {
    expect(await policy.check(lead('+447700900123'), campaign, NOW)).toMatchObject({ allowed: false, reason: 'destination-not-allowed' });
    await dnc.add({ phone: '+8613700000002', scope: campaignScope('pc'), reason: 'refused', source: 'disposition', expiresAt: NOW + 10 * DAY });
    expect(await policy.check(lead('+8613700000002'), campaign, NOW)).toMatchObject({ allowed: false, reason: 'dnc-campaign', nextAllowedAt: NOW + 10 * DAY });
    await dnc.add({ phone: '+8613700000003', scope: 'global', reason: 'regulator list', source: 'import' });
    const g = await policy.check(lead('+8613700000003'), campaign, NOW);
    expect(g).toMatchObject({ allowed: false, reason: 'dnc-global' });
    expect('nextAllowedAt' in g).toBe(false);
    expect(await policy.check(lead('+8613700000004', { attempts: 5 }), campaign, NOW)).toMatchObject({ reason: 'max-attempts' });
    expect(await policy.check(lead('+8613700000005', { noCallBefore: NOW + 72 * H }), campaign, NOW)).toMatchObject({ reason: 'abandon-cooldown', nextAllowedAt: NOW + 72 * H });
    // 22:00 Shanghai -> 09:00 next day.
    expect(await policy.check(lead('+8613700000006'), campaign, Date.parse('2026-11-24T14:00:00Z'))).toMatchObject({
      allowed: false, reason: 'outside-calling-window', nextAllowedAt: Date.parse('2026-11-25T01:00:00Z'),
    });
  });

  it('ring margin: no call is started that could still ring when the window closes', async () => {
    const late = Date.parse('2026-11-24T12:59:50Z'); // 20:59:50 Shanghai
    expect(await policy.check(lead('+8613700000007'), campaign, late, { logRefusal: false })).toEqual({ allowed: true });
    expect(await policy.check(lead('+8613700000007'), campaign, late, { ringMarginMs: 25_000, logRefusal: false })).toMatchObject({
      allowed: false, reason: 'outside-calling-window', nextAllowedAt: Date.parse('2026-11-25T01:00:00Z'),
    });
    // Same before the lunch blackout: 11:59:50 -> 13:30.
    expect(await policy.check(lead('+8613700000007'), campaign, Date.parse('2026-11-24T03:59:50Z'), { ringMarginMs: 25_000, logRefusal: false })).toMatchObject({
      nextAllowedAt: Date.parse('2026-11-24T05:30:00Z'),
    });
  });

  it('logs every refusal with its reason (and counts them for the report)', async () => {
    const list = await refusals.list('pc');
    const reasons = list.map((r) => r.reason);
    for (const r of ['frequency-cap', 'destination-not-allowed', 'dnc-campaign', 'dnc-global', 'max-attempts', 'abandon-cooldown', 'outside-calling-window']) {
      expect(reasons).toContain(r);
    }
    const counts = await refusals.counts('pc');
    expect(counts['dnc-global']).toBe(1);
    expect(counts['dnc-campaign']).toBe(1);
  });
});
