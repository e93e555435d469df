import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startCallStack, toneWav, type CallStack } from './stack.js';
import { runSipp, sippErrors } from '../../support/sipp-calls.js';
import { TollFraudError } from '../../../src/calls/originator.js';
import type { CallChannel } from '../../../src/calls/call-channel.js';

/** Outbound calls through a trunk (a sipp UAS per test) over the real engine and rtpengine. */
let stack: CallStack;
let prompt: string;
const scenario = (name: string) => join(import.meta.dirname, 'sipp', name);

beforeAll(async () => {
  stack = await startCallStack();
  prompt = await toneWav(join(stack.dir, 'reminder.wav'), 700, 0.6);
});

afterAll(async () => {
  await stack?.stop();
});

describe('originate over real SIP/RTP', () => {
  it('answered: the callee gets our anchored offer, hears a prompt, we hang up with BYE', async () => {
    const uas = await runSipp({ scenario: scenario('uas-answer.xml'), timeoutS: 30 });
    await new Promise((r) => setTimeout(r, 300)); // sipp binds its port
    const r = await stack.originator.originate({ to: '+44 20 7946 0001', callerId: '+442000000000', trunk: `sip:{number}@127.0.0.1:${uas.port}`, ringTimeoutMs: 5000, headers: { 'X-Campaign': 'e2e' } });
    expect(r.outcome).toBe('answered');
    const call = (r as { call: CallChannel }).call;
    expect(call.direction).toBe('outbound');
    expect(call.remoteNumber).toBe('+442079460001');
    expect(stack.registry.counts()).toMatchObject({ active: 1, outbound: 1 });
    expect(await stack.rtpClient.list()).toHaveLength(1);
    expect(await call.play([prompt])).toEqual({ interrupted: false });
    const hangups: string[] = [];
    call.on('hangup', (by: string) => hangups.push(by));
    await call.hangup();
    expect(hangups).toEqual(['local']);
    expect(await uas.done, sippErrors(uas)).toBe(0);
    expect(stack.registry.counts().active).toBe(0);
  });

  it('busy: 486 -> busy', async () => {
    const uas = await runSipp({ scenario: scenario('uas-busy.xml'), timeoutS: 20 });
    await new Promise((r) => setTimeout(r, 300));
    const r = await stack.originator.originate({ to: '+442079460002', callerId: '+442000000000', trunk: `sip:{number}@127.0.0.1:${uas.port}`, ringTimeoutMs: 5000 });
    expect(r).toEqual({ outcome: 'busy', sipStatus: 486 });
    expect(await uas.done, sippErrors(uas)).toBe(0);
  });

  it('no answer: rings past ringTimeoutMs -> CANCEL -> no-answer (487)', async () => {
    const uas = await runSipp({ scenario: scenario('uas-no-answer.xml'), timeoutS: 20 });
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    const r = await stack.originator.originate({ to: '+442079460003', callerId: '+442000000000', trunk: `sip:{number}@127.0.0.1:${uas.port}`, ringTimeoutMs: 1500 });
    expect(r).toEqual({ outcome: 'no-answer', sipStatus: 487 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
    expect(await uas.done, sippErrors(uas)).toBe(0);
  });

  it('nobody listening at the trunk: failed after ring timeout + CANCEL grace, not after Timer B', async () => {
    const t0 = Date.now();
    const r = await stack.originator.originate({ to: '+442079460004', callerId: '+442000000000', trunk: 'sip:{number}@127.0.0.1:9', ringTimeoutMs: 1000 });
    expect(r).toEqual({ outcome: 'failed', sipStatus: 408 });
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('toll-fraud guard: a destination outside the allowed prefixes is refused before any SIP', async () => {
    await expect(stack.originator.originate({ to: '+8823456789', callerId: '+442000000000' })).rejects.toBeInstanceOf(TollFraudError);
    await expect(stack.originator.originate({ to: '+4420@evil.example', callerId: '+442000000000' })).rejects.toThrow(/not a phone number/);
    expect(await stack.rtpClient.list()).toEqual([]);
  });

  it('leaves no rtpengine session, no registered call and no SIP dialog behind', async () => {
    await new Promise((r) => setTimeout(r, 300));
    expect(await stack.rtpClient.list()).toEqual([]);
    expect(stack.registry.counts().active).toBe(0);
    expect(stack.engine.agent.stats().dialogs).toBe(0);
  });
});
