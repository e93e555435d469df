import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createDialerServices } from '../../../src/dialer/services.js';
import { importLeadsCsv } from '../../../src/leads/csv-import.js';
import { DispositionService } from '../../../src/leads/disposition-service.js';
import { dispositionHooks } from '../../../src/scheduler/wiring.js';
import type { Campaign } from '../../../src/dialer/campaign.js';
import { testScheduler } from '../../support/scheduler-fakes.js';

/** Dispositions with the scheduler hooked in (real Redis, real CallbackService / FollowUpPlans; no worker runs). */
const t = testScheduler();
const { s } = t;
const log = pino({ level: 'silent' });
const dialer = createDialerServices({ redis: t.r.redis, keys: t.r.keys, log });
const withScheduler = new DispositionService({ store: dialer.leads, dnc: dialer.dnc, hooks: dispositionHooks(s), log });
const HOUR = 3600_000;
let phoneSeq = 0;

afterAll(() => t.cleanup());

async function lead(c: Campaign, owner?: string): Promise<string> {
  const phone = `+86137${String(++phoneSeq).padStart(8, '0')}`;
  await importLeadsCsv(dialer.leads, { campaignId: c.id, defaultCountry: 'CN', defaultTimezone: 'Asia/Shanghai' }, Readable.from([`phone\n${phone}\n`]));
  const l = (await dialer.leads.list(c.id)).leads.find((x) => x.phone === phone)!;
  if (owner) await dialer.leads.update(l.id, { ownerAgentId: owner });
  return l.id;
}
const campaign = () => dialer.campaigns.create({ name: 'hooks', trunk: 't', callerId: '+861012345678', dialMode: 'preview', allowedPrefixes: ['+86'], queueId: 'sales' });

describe('callback disposition with the scheduler', () => {
  it("books an owner-only scheduled callback for the lead's owner and takes the lead out of the dialer queue; a resubmit books nothing new", async () => {
    const c = await campaign();
    const id = await lead(c, 'A1');
    const at = Date.now() + 2 * HOUR;
    const out = await withScheduler.apply(c, { leadId: id, code: 'callback', agentId: 'A1', callId: 'call-1', callbackAt: at, note: 'after lunch' });
    expect(out.status).toBe('callback');
    expect(out.nextAttemptAt).toBeUndefined();
    expect(await dialer.leads.due(c.id, at + 10 * HOUR, 10)).not.toContain(id);
    const cbs = await s.callbacks.list({ leadId: id, limit: 10 });
    expect(cbs).toHaveLength(1);
    expect(cbs[0]).toMatchObject({
      status: 'scheduled', ownerAgentId: 'A1', ownerOnly: true, dueAt: at, campaignId: c.id, queueId: 'sales', timezone: 'Asia/Shanghai',
      note: 'after lunch', source: 'agent',
    });
    expect((await s.queue.queue.getDelayed()).filter((j) => j.name === 'callback-due' && j.data.callbackId === cbs[0].id)).toHaveLength(1);
    await withScheduler.apply(c, { leadId: id, code: 'callback', agentId: 'A1', callId: 'call-1', callbackAt: at });
    expect(await s.callbacks.list({ leadId: id, limit: 10 })).toHaveLength(1);
  });

  it('an unowned lead dispositioned by an agent becomes theirs and so does the callback', async () => {
    const c = await campaign();
    const id = await lead(c);
    await withScheduler.apply(c, { leadId: id, code: 'interested', agentId: 'A7', callbackAt: Date.now() + HOUR });
    expect((await dialer.leads.get(id))?.ownerAgentId).toBe('A7');
    expect((await s.callbacks.list({ leadId: id, limit: 10 }))[0]).toMatchObject({ ownerAgentId: 'A7', ownerOnly: true });
  });

  it('without the scheduler (or when it fails) the dialer re-queues the lead at the callback time', async () => {
    const c = await campaign();
    const at = Date.now() + HOUR;
    const plain = new DispositionService({ store: dialer.leads, dnc: dialer.dnc });
    const a = await lead(c, 'A1');
    expect((await plain.apply(c, { leadId: a, code: 'callback', agentId: 'A1', callbackAt: at })).nextAttemptAt).toBe(at);
    expect(await dialer.leads.due(c.id, at, 10)).toContain(a);
    const broken = new DispositionService({ store: dialer.leads, dnc: dialer.dnc, log, hooks: { scheduleCallback: async () => { throw new Error('redis down'); } } });
    const b = await lead(c, 'A1');
    expect((await broken.apply(c, { leadId: b, code: 'callback', agentId: 'A1', callbackAt: at })).nextAttemptAt).toBe(at);
    expect(await dialer.leads.due(c.id, at, 10)).toContain(b);
    expect(await s.callbacks.list({ leadId: a, limit: 10 })).toHaveLength(0);
  });

  it('hooks attached later (composition order) are used', async () => {
    const c = await campaign();
    const late = new DispositionService({ store: dialer.leads, dnc: dialer.dnc });
    late.useHooks(dispositionHooks(s));
    const id = await lead(c, 'A2');
    await late.apply(c, { leadId: id, code: 'callback', agentId: 'A2', callbackAt: Date.now() + HOUR });
    expect(await s.callbacks.list({ leadId: id, limit: 10 })).toHaveLength(1);
  });
});

describe('final dispositions close the lead in the scheduler', () => {
  it('sale: follow-up plan completed and open callbacks cancelled', async () => {
    const c = await campaign();
    const id = await lead(c, 'A1');
    const l = (await dialer.leads.get(id))!;
    const { plan } = await s.plans.create({ leadId: id, phone: l.phone, ownerAgentId: 'A1', steps: [{ afterMs: 2 * 24 * HOUR }, { afterMs: 7 * 24 * HOUR }], createdBy: 'A1' });
    const out = await withScheduler.apply(c, { leadId: id, code: 'sale', agentId: 'A1' });
    expect(out.status).toBe('done');
    expect((await s.plans.get(plan.id))?.status).toBe('completed');
    const cbs = await s.callbacks.list({ leadId: id, limit: 10 });
    expect(cbs.map((x) => x.status)).toEqual(['cancelled', 'cancelled']);
    expect(cbs[0].history.at(-1)?.detail).toContain('lead completed');
  });

  it('refused (DNC) and other final codes close it; a callback booked earlier is cancelled', async () => {
    const c = await campaign();
    for (const code of ['not-interested', 'wrong-number']) {
      const id = await lead(c, 'A1');
      await withScheduler.apply(c, { leadId: id, code: 'callback', agentId: 'A1', callbackAt: Date.now() + HOUR });
      await withScheduler.apply(c, { leadId: id, code, agentId: 'A1' });
      const cbs = await s.callbacks.list({ leadId: id, limit: 10 });
      expect(cbs.map((x) => x.status)).toEqual(['cancelled']);
      expect(cbs[0].history.at(-1)?.detail).toContain('lead closed');
    }
  });

  it('a non-final disposition leaves plans and callbacks alone', async () => {
    const c = await campaign();
    const id = await lead(c, 'A1');
    await withScheduler.apply(c, { leadId: id, code: 'callback', agentId: 'A1', callbackAt: Date.now() + HOUR });
    await withScheduler.apply(c, { leadId: id, code: 'no-decision', agentId: 'A1' });
    expect((await s.callbacks.list({ leadId: id, limit: 10 })).map((x) => x.status)).toEqual(['scheduled']);
  });
});
