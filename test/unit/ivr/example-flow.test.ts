import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calendarSchema } from '../../../src/ivr/business-hours.js';
import type { CallbackRequest, EnqueueOptions } from '../../../src/ivr/ports.js';
import { runFlow } from '../../../src/ivr/session.js';
import type { IvrDeps } from '../../../src/ivr/task.js';
import { validateFlow } from '../../../src/ivr/validate-flow.js';
import { freePort } from '../../support/ports.js';
import { FakeChannel, type CallerInput } from './fakes.js';
import { mkDeps } from './helpers.js';

const flowDoc = JSON.parse(readFileSync('docs/ivr-example-flow.json', 'utf8')) as Record<string, unknown>;
const calendar = calendarSchema.parse(JSON.parse(readFileSync('docs/ivr-example-calendar.json', 'utf8')));
const MONDAY_10AM = new Date('2026-11-23T02:00:00Z'); // Asia/Shanghai
const SUNDAY_10AM = new Date('2026-11-22T02:00:00Z');
const NATIONAL_DAY = new Date('2026-10-01T02:00:00Z');

describe('docs/ivr-example-flow.json (insurance service line)', () => {
  let server: Server;
  let base: string;
  const staffBodies: Record<string, string>[] = [];

  beforeAll(async () => {
    const port = await freePort();
    // The insurer's webhooks: policy lookup by number, staff performance by id + PIN.
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const json = (status: number, data: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(data));
        const m = /^\/policies\/(\d+)\?lang=(en|zh)$/.exec(req.url ?? '');
        if (m) {
          if (m[1] !== '12345678') return json(200, { found: false });
          return json(200, { found: true, holder: 'Wang Fang', premiumDue: '2380.00', dueDate: '2026-12-15' });
        }
        if (req.url === '/staff/performance' && req.method === 'POST') {
          const b = JSON.parse(body) as Record<string, string>;
          staffBodies.push(b);
          if (b.staffId !== '1007' || b.pin !== '2468') return json(403, { error: 'denied' });
          return json(200, { commission: '15230.50', policiesSold: 23, periodEnd: '2026-11-30' });
        }
        json(404, {});
      });
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const setup = (at: Date, inputs: CallerInput[], extra: Partial<IvrDeps> = {}, bridge: 'bridged' | 'no-answer' = 'no-answer') => {
    const queued: EnqueueOptions[] = [];
    const callbacks: CallbackRequest[] = [];
    const ch = new FakeChannel({ inputs, bridge: bridge === 'bridged' ? { outcome: 'bridged', legCallId: 'leg' } : { outcome: 'no-answer' } });
    const deps = mkDeps({
      now: () => at,
      calendars: { getCalendar: async (id) => (id === calendar.id ? calendar : null) },
      queue: { enqueue: async (_c, req) => (queued.push(req), { outcome: 'completed', queueId: req.queueId, agentId: 'agent-1', by: 'caller', waitMs: 1, talkMs: 1 }) },
      callbacks: { requestCallback: async (req) => (callbacks.push(req), { id: 'cb-42' }) },
      agents: { contactFor: async () => null },
      dialPlan: { externalUri: async (n) => `sip:${n}@trunk` },
      ...extra,
    });
    return { ch, deps, queued, callbacks };
  };

  it('is a valid flow', () => {
    const r = validateFlow(flowDoc);
    expect(r.ok ? [] : r.error.problems).toEqual([]);
  });

  it('Mandarin caller looks up a policy, hears it read out, then reaches an agent with the screen-pop data', async () => {
    const { ch, deps, queued } = setup(MONDAY_10AM, ['1', '2', '12345678#', '0']);
    const r = await runFlow(flowDoc, ch, deps, { vars: { lookupBase: base } });
    expect(r.path).toEqual(['hours', 'mark-open', 'language', 'main', 'policy-number', 'policy-lookup', 'policy-found', 'policy-say', 'after-policy', 'human', 'to-queue']);
    expect(r.outcome).toBe('queued');
    expect(r.lang).toBe('zh');
    expect(ch.played[0]).toEqual(['en/welcome.wav', 'en/language.choose.wav']);
    expect(ch.played).toContainEqual([
      'zh/policy.number-is.wav', ...'12345678'.split('').map((d) => `zh/digit:${d}`),
      'zh/policy.premium-due.wav', 'zh/money:2380:CNY', 'zh/policy.due-on.wav', 'zh/date:2026-12-15',
    ]);
    expect(queued[0]).toMatchObject({ queueId: 'service', vars: { policyNo: '12345678', 'policy.holder': 'Wang Fang', lang: 'zh', office: 'open' } });
    expect(queued[0].digits).toBe('1 2 12345678 0');
  });

  it('an unknown policy number asks again', async () => {
    const { ch, deps } = setup(MONDAY_10AM, ['2', '2', '99999999#', '12345678#', { hangup: true }]);
    const r = await runFlow(flowDoc, ch, deps, { vars: { lookupBase: base } });
    expect(r.path.slice(4)).toEqual(['policy-number', 'policy-lookup', 'policy-found', 'policy-unknown', 'policy-number', 'policy-lookup', 'policy-found', 'policy-say', 'after-policy']);
    expect(r.outcome).toBe('caller-hangup');
  });

  it('staff key + PIN: hears commission, policies sold and period; the PIN never leaves the lookup', async () => {
    const { ch, deps } = setup(MONDAY_10AM, ['2', '9', '1007#', '2468#', { hangup: true }]);
    const r = await runFlow(flowDoc, ch, deps, { vars: { lookupBase: base } });
    expect(r.path).toEqual(['hours', 'mark-open', 'language', 'main', 'staff-id', 'staff-pin', 'staff-lookup', 'staff-say', 'main']);
    expect(staffBodies.at(-1)).toEqual({ staffId: '1007', pin: '2468', lang: 'en' });
    expect(ch.played).toContainEqual([
      'en/staff.commission.wav', 'en/money:15230.5:CNY', 'en/staff.policies-sold.wav', 'en/num:23', 'en/staff.period-ending.wav', 'en/date:2026-11-30',
    ]);
    expect(r.trace.find((t) => t.node === 'staff-pin')?.digits).toEqual(['****']);
    expect(JSON.stringify(r)).not.toContain('2468');
  });

  it('a wrong PIN is refused politely', async () => {
    const { ch, deps } = setup(MONDAY_10AM, ['2', '9', '1007#', '1111#']);
    const r = await runFlow(flowDoc, ch, deps, { vars: { lookupBase: base } });
    expect(r.path.slice(-3)).toEqual(['staff-lookup', 'staff-denied', 'goodbye']);
    expect(ch.played.slice(-2)).toEqual([['en/staff.denied.wav'], ['en/goodbye.wav']]);
  });

  it('outside business hours "agent" offers a callback to the caller number instead of queueing', async () => {
    const { ch, deps, queued, callbacks } = setup(SUNDAY_10AM, ['2', '0', '1']);
    const r = await runFlow(flowDoc, ch, deps, { vars: { lookupBase: base } });
    expect(r.path).toEqual(['hours', 'closed-msg', 'mark-closed', 'language', 'main', 'human', 'offer-callback', 'callback', 'goodbye']);
    expect(ch.played[0]).toEqual(['en/office.closed.wav']);
    expect(queued).toHaveLength(0);
    expect(callbacks[0]).toMatchObject({ phone: '+8613800001111', queueId: 'service' });
    expect(r.vars['callback.id']).toBe('cb-42');
    expect(r.outcome).toBe('hangup');
  });

  it('on a holiday with the lookup service down the caller is told and offered a callback', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const { ch, deps } = setup(NATIONAL_DAY, ['2', '2', '12345678#', '2']);
    const r = await runFlow(flowDoc, ch, deps, { vars: { lookupBase: down } });
    expect(r.path).toEqual(['hours', 'holiday-msg', 'mark-closed', 'language', 'main', 'policy-number', 'policy-lookup', 'lookup-failed', 'human', 'offer-callback', 'goodbye']);
    expect(r.vars['policy.ok']).toBe('false');
  });

  it('key 3 transfers to the claims line (external number)', async () => {
    const { ch, deps } = setup(MONDAY_10AM, ['2', '3'], {}, 'bridged');
    const r = await runFlow(flowDoc, ch, deps, { vars: { lookupBase: base } });
    expect(r.outcome).toBe('transferred');
    expect(ch.bridges[0].uri).toBe('sip:+862140009999@trunk');
  });
});
