import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { testRedis } from '../../support/redis.js';
import { createDialerServices } from '../../../src/dialer/services.js';
import { importLeadsCsv } from '../../../src/leads/csv-import.js';
import { nextAttemptAfter, recyclingSchema } from '../../../src/leads/recycling.js';
import type { Campaign } from '../../../src/dialer/campaign.js';

const t = testRedis();
const t2 = testRedis(); // a second connection = a second dialer instance (same key prefix below)
const log = pino({ level: 'silent' });
const s1 = createDialerServices({ redis: t.redis, keys: t.keys, log });
const s2 = createDialerServices({ redis: t2.redis, keys: t.keys, log });
const MIN = 60_000;
const NOW = Date.parse('2026-11-24T02:00:00Z'); // Tue 10:00 Shanghai

afterAll(async () => {
  t2.redis.disconnect();
  await t.cleanup();
});

async function campaignWithLeads(n: number, extra: Partial<Campaign> = {}): Promise<Campaign> {
  const c = await s1.campaigns.create({ name: 'lock test', trunk: 't', callerId: '+861012345678', dialMode: 'predictive', allowedPrefixes: ['+86'], ...extra });
  const rows = Array.from({ length: n }, (_, i) => `+86137${String(i).padStart(8, '0')}`).join('\n');
  await importLeadsCsv(s1.leads, { campaignId: c.id, defaultCountry: 'CN', defaultTimezone: 'Asia/Shanghai' }, Readable.from([`phone\n${rows}\n`]), { now: NOW - MIN });
  return c;
}

describe('lead locking', () => {
  it('SET NX lock: one holder at a time, released only by its token', async () => {
    const a = await s1.locks.acquire('Lx', 'inst-1');
    expect(a).not.toBeNull();
    expect(await s2.locks.acquire('Lx', 'inst-2')).toBeNull();
    expect(await s1.locks.holder('Lx')).toBe('inst-1');
    expect(await s2.locks.release({ leadId: 'Lx', holder: 'inst-2', token: 'inst-2|forged' })).toBe(false);
    expect(await s1.locks.release(a!)).toBe(true);
    expect(await s2.locks.acquire('Lx', 'inst-2')).not.toBeNull();
  });

  it('two instances claiming at the same time never get the same lead', async () => {
    const c = await campaignWithLeads(60);
    const [x, y] = await Promise.all([
      s1.leadQueue.claim({ campaign: c, count: 40, now: NOW, holder: 'inst-1' }),
      s2.leadQueue.claim({ campaign: c, count: 40, now: NOW, holder: 'inst-2' }),
    ]);
    const ids = [...x, ...y].map((cl) => cl.lead.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(60);
    // All are leased: nothing is due any more.
    expect(await s1.leadQueue.claim({ campaign: c, count: 10, now: NOW + 1000, holder: 'inst-1' })).toEqual([]);
  });
});

describe('recycling', () => {
  const rules = recyclingSchema.parse({});
  it('retry busy after 10 min, no-answer after 2 h, abandoned after 72 h, stop at max attempts', () => {
    expect(nextAttemptAfter('busy', 1, rules, 0)).toBe(10 * MIN);
    expect(nextAttemptAfter('no-answer', 1, rules, 0)).toBe(120 * MIN);
    expect(nextAttemptAfter('abandoned', 1, rules, 0)).toBe(72 * 60 * MIN);
    expect(nextAttemptAfter('connected', 1, rules, 0)).toBeNull();
    expect(nextAttemptAfter('busy', rules.maxAttempts, rules, 0)).toBeNull();
  });

  it('outcomes reschedule the lead in Redis and release the lock; attempts are kept', async () => {
    const c = await campaignWithLeads(3, { retry: recyclingSchema.parse({ maxAttempts: 2 }) });
    const [a, b, d] = await s1.leadQueue.claim({ campaign: c, count: 3, now: NOW, holder: 'inst-1' });
    await s1.leadQueue.recordOutcome(a, { outcome: 'busy', at: NOW, ringMs: 3000 });
    await s1.leadQueue.recordOutcome(b, { outcome: 'no-answer', at: NOW, ringMs: 25000 });
    await s1.leadQueue.recordOutcome(d, { outcome: 'abandoned', at: NOW, callId: 'call-1' });
    expect(await s1.leads.get(a.lead.id)).toMatchObject({ attempts: 1, lastOutcome: 'busy', status: 'queued', nextAttemptAt: NOW + 10 * MIN });
    expect(await s1.leads.get(b.lead.id)).toMatchObject({ nextAttemptAt: NOW + 120 * MIN });
    expect(await s1.leads.get(d.lead.id)).toMatchObject({ nextAttemptAt: NOW + 72 * 60 * MIN, noCallBefore: NOW + 72 * 60 * MIN });
    expect(await s1.locks.holder(a.lead.id)).toBeNull();
    expect((await s1.leads.attempts(d.lead.id))[0]).toMatchObject({ outcome: 'abandoned', callId: 'call-1' });

    // 10 min later only the busy one is due; second busy reaches max attempts (2) and leaves the queue.
    const again = await s1.leadQueue.claim({ campaign: c, count: 3, now: NOW + 10 * MIN, holder: 'inst-1' });
    expect(again.map((x) => x.lead.id)).toEqual([a.lead.id]);
    await s1.leadQueue.recordOutcome(again[0], { outcome: 'busy', at: NOW + 10 * MIN });
    expect(await s1.leads.get(a.lead.id)).toMatchObject({ attempts: 2, status: 'exhausted' });
    expect(await s1.leads.due(c.id, NOW + 365 * 24 * 60 * MIN, 10)).not.toContain(a.lead.id);
  });
});
