import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { startCallStack, toneUlaw, toneWav, audibleStats, type CallStack } from './stack.js';
import { startBaresip } from '../../support/baresip.js';
import { runSipp, sippErrors, sippListening } from '../../support/sipp-calls.js';
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
    await sippListening(uas);
    const r = await stack.originator.originate({ to: '+44 20 7946 0001', callerId: '+442000000000', trunk: `sip:{number}@127.0.0.1:${uas.port}`, ringTimeoutMs: 5000, headers: { 'X-Campaign': 'e2e' } });
    expect(r.outcome).toBe('answered');
    const call = (r as { call: CallChannel }).call;
    expect(call.direction).toBe('outbound');
    expect(call.remoteNumber).toBe('+442079460001');
    expect(stack.registry.counts()).toMatchObject({ active: 1, outbound: 1 });
    // the SIP Call-ID is the one we chose, and it keys the rtpengine session
    expect(await stack.rtpClient.list()).toEqual([call.callId]);
    expect(await call.play([prompt])).toEqual({ interrupted: false });
    const hangups: string[] = [];
    call.on('hangup', (by: string) => hangups.push(by));
    await call.hangup();
    expect(hangups).toEqual(['local']);
    expect(await uas.done, sippErrors(uas)).toBe(0);
    expect(stack.registry.counts().active).toBe(0);
  });

  it('dialer path: the customer answers, is bridged to a registered agent who hears them; the call is recorded', async () => {
    stack.credentials.agent7 = { agentId: 'A-7', password: 'agent7-secret' };
    const agentTone = await toneWav(join(stack.dir, 'agent7.wav'), 400, 20);
    const customerTone = await toneUlaw(join(stack.dir, 'customer.ul'), 600, 20);
    const agent = await startBaresip({ user: 'agent7', password: 'agent7-secret', server: `127.0.0.1:${stack.sipPort}`, audioFile: agentTone });
    try {
      await agent.waitEvent('REGISTER_OK', 10_000);
      const uas = await runSipp({ scenario: scenario('uas-answer-talk.xml'), vars: { TONE: customerTone }, timeoutS: 30 });
      await sippListening(uas);
      const r = await stack.originator.originate({ to: '+442079460010', callerId: '+442000000000', trunk: `sip:{number}@127.0.0.1:${uas.port}`, ringTimeoutMs: 5000 });
      expect(r.outcome).toBe('answered');
      const call = (r as { call: CallChannel }).call;
      await call.startRecording({ campaignId: 'camp-e2e', leadId: 'L-1' });
      const b = await call.bridge({ uri: stack.bindings.get('A-7')!.contact, ringTimeoutMs: 8000, headers: { 'X-Call-Id': call.callId } });
      expect(b.outcome).toBe('bridged');
      await agent.waitEvent('CALL_ESTABLISHED', 10_000);
      await new Promise((res) => setTimeout(res, 2500));
      await agent.command('hangup'); // the agent ends the conversation: the customer gets BYE
      expect(await uas.done, sippErrors(uas)).toBe(0);
      expect(call.ended).toBe(true);
      // the agent heard the customer's 600 Hz
      const heard = agent.dumps().find((f) => f.endsWith('-dec.wav')) as string;
      const stats = await audibleStats(heard, join(stack.dir, 'a7-heard.wav'));
      expect(Math.abs(stats.freq - 600)).toBeLessThan(60);
      // stereo recording stored under our Call-ID with the campaign meta
      await expect.poll(() => stack.recordings.find((x) => x.callId === call.callId), { timeout: 5000 }).toBeDefined();
      const rec = stack.recordings.find((x) => x.callId === call.callId)!;
      expect(rec).toMatchObject({ campaignId: 'camp-e2e', leadId: 'L-1' });
      expect(rec.durationMs).toBeGreaterThan(1500);
      expect(statSync(rec.path).size).toBeGreaterThan(10_000);
    } finally {
      await agent.stop();
    }
  });

  it('busy: 486 -> busy', async () => {
    const uas = await runSipp({ scenario: scenario('uas-busy.xml'), timeoutS: 20 });
    await sippListening(uas);
    const r = await stack.originator.originate({ to: '+442079460002', callerId: '+442000000000', trunk: `sip:{number}@127.0.0.1:${uas.port}`, ringTimeoutMs: 5000 });
    expect(r).toEqual({ outcome: 'busy', sipStatus: 486 });
    expect(await uas.done, sippErrors(uas)).toBe(0);
  });

  it('no answer: rings past ringTimeoutMs -> CANCEL -> no-answer (487)', async () => {
    const uas = await runSipp({ scenario: scenario('uas-no-answer.xml'), timeoutS: 20 });
    await sippListening(uas);
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
