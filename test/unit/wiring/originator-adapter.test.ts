import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { checkDestination, type OriginateRequest, type OriginateResult } from '../../../src/calls/originator.js';
import { dialerOriginator, schedulerOriginator } from '../../../src/wiring/originator-adapter.js';
import { FakeCall } from '../../support/acd-fakes.js';

/** A stand-in for src/calls Originator: enforces the same toll-fraud guard, then answers or fails as scripted. */
class ScriptedCalls {
  requests: OriginateRequest[] = [];
  constructor(private readonly result: () => OriginateResult, private readonly delayMs = 30) {}
  async originate(req: OriginateRequest): Promise<OriginateResult> {
    this.requests.push(req);
    checkDestination(req.to, req.allowedPrefixes ?? ['+86']);
    await new Promise((r) => setTimeout(r, this.delayMs));
    return this.result();
  }
}

const dial = { to: '+8613800138000', callerId: '+861000000000', trunk: 'cn', ringTimeoutMs: 20_000, campaignId: 'c1', leadId: 'l1' };

describe('dialerOriginator', () => {
  it('answered: passes the channel through and measures the ring time; maps the trunk name', async () => {
    const call = new FakeCall();
    const calls = new ScriptedCalls(() => ({ outcome: 'answered', call }));
    const o = dialerOriginator(calls, { trunks: { cn: 'sip:{number}@cn-trunk.example' } });
    const r = await o.originate({ ...dial, headers: { 'X-Lead-Id': 'l1' }, allowedPrefixes: ['+86'] });
    expect(r.outcome).toBe('answered');
    expect(r.outcome === 'answered' && r.call).toBe(call);
    expect(r.ringMs).toBeGreaterThanOrEqual(25);
    expect(calls.requests[0]).toMatchObject({ trunk: 'sip:{number}@cn-trunk.example', headers: { 'X-Lead-Id': 'l1' }, allowedPrefixes: ['+86'], ringTimeoutMs: 20_000 });
  });

  it('busy keeps the SIP status; a refused destination is failed with the reason', async () => {
    const o = dialerOriginator(new ScriptedCalls(() => ({ outcome: 'busy', sipStatus: 486 })));
    expect(await o.originate(dial)).toMatchObject({ outcome: 'busy', sipStatus: 486 });
    const refused = await o.originate({ ...dial, to: '+900123456', allowedPrefixes: ['+86'] });
    expect(refused).toMatchObject({ outcome: 'failed' });
    expect(refused.outcome === 'failed' && refused.reason).toMatch(/not within allowed prefixes/);
  });
});

describe('schedulerOriginator', () => {
  it('passes outcomes through and turns a toll-fraud refusal into failed', async () => {
    const o = schedulerOriginator(new ScriptedCalls(() => ({ outcome: 'no-answer', sipStatus: 487 }), 1), pino({ level: 'silent' }));
    expect(await o.originate({ to: '+8613800138000', callerId: '+861000000000' })).toEqual({ outcome: 'no-answer', sipStatus: 487 });
    expect(await o.originate({ to: '+19005550100', callerId: '+861000000000' })).toEqual({ outcome: 'failed' });
  });
});
