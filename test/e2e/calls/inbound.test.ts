import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startCallStack, toneUlaw, toneWav, audibleStats, type CallStack } from './stack.js';
import { startBaresip, type Baresip } from '../../support/baresip.js';
import { runSipp, sippErrors } from '../../support/sipp-calls.js';
import type { BridgeResult, CallChannel, CollectResult } from '../../../src/calls/call-channel.js';

const exec = promisify(execFile);

/**
 * Real SIP + RTP end to end: baresip registers as an agent with digest auth; a sipp customer calls a DID,
 * hears a prompt, keys 1 2 # (RFC 2833) that collectDigits returns, is bridged to the agent's softphone,
 * and audio flows both ways through rtpengine. Nothing may be left in rtpengine or the registry afterwards.
 */
let stack: CallStack;
let agent: Baresip | undefined;
let prompt: string;
let agentTone: string;
let callerTone: string;

beforeAll(async () => {
  stack = await startCallStack();
  stack.credentials.agent1 = { agentId: 'A-1', password: 'agent1-secret' };
  prompt = await toneWav(join(stack.dir, 'prompt.wav'), 800, 1);
  agentTone = await toneWav(join(stack.dir, 'agent.wav'), 400, 20);
  callerTone = await toneUlaw(join(stack.dir, 'caller.ul'), 600, 20);
});

afterAll(async () => {
  await agent?.stop(); // before the registrar goes (it un-registers on exit)
  await stack?.stop();
});

describe('inbound calls over real SIP/RTP', () => {
  it('a wrong password is refused (403) and nothing is stored', async () => {
    const bad = await startBaresip({ user: 'agent1', password: 'wrong', server: `127.0.0.1:${stack.sipPort}`, audioFile: agentTone });
    try {
      await bad.waitEvent('REGISTER_FAIL', 20_000);
      expect(stack.bindings.has('A-1')).toBe(false);
    } finally {
      await bad.stop();
    }
  });

  it('baresip registers as agent1 with digest auth; the contact lands in the sink', async () => {
    agent = await startBaresip({ user: 'agent1', password: 'agent1-secret', server: `127.0.0.1:${stack.sipPort}`, audioFile: agentTone, regint: 300 });
    await agent.waitEvent('REGISTER_OK', 20_000);
    const b = stack.bindings.get('A-1');
    expect(b?.expires).toBe(300);
    expect(b?.contact).toMatch(new RegExp(`^sip:agent1[^@]*@127\\.0\\.0\\.1:${agent.sipPort}`));
  });

  it('customer calls the DID, hears the prompt, keys 12#, is bridged to the agent, audio flows', async () => {
    const contact = stack.bindings.get('A-1')?.contact;
    expect(contact).toBeDefined();
    const seen: { played?: { interrupted: boolean }; digits?: CollectResult; bridge?: BridgeResult; call?: CallChannel; dtmf: string[]; hangupBy?: string } = { dtmf: [] };
    let bridgedAt = 0;
    stack.handlers.set('100', async (call) => {
      seen.call = call;
      call.on('dtmf', (d: string) => seen.dtmf.push(d));
      call.on('hangup', (by: string) => (seen.hangupBy = by));
      seen.played = await call.play([prompt]);
      seen.digits = await call.collectDigits({ max: 4, finishOnKey: '#', firstDigitTimeoutMs: 8000, interDigitTimeoutMs: 4000 });
      seen.bridge = await call.bridge({ uri: contact as string, ringTimeoutMs: 8000, headers: { 'X-Call-Id': call.callId } });
      bridgedAt = Date.now();
    });

    const sipp = await runSipp({ scenario: join(import.meta.dirname, 'sipp/ivr-caller.xml'), remote: `127.0.0.1:${stack.sipPort}`, service: '100', vars: { TONE: callerTone }, timeoutS: 40 });
    await agent!.waitEvent('CALL_ESTABLISHED', 20_000);
    // let audio flow both ways for a while, then the agent hangs up
    await new Promise((r) => setTimeout(r, 2500));
    const q = await stack.rtpClient.query(seen.call!.callId);
    await agent!.command('hangup');
    const code = await sipp.done;
    expect(code, sippErrors(sipp)).toBe(0);

    expect(seen.played).toEqual({ interrupted: false });
    expect(seen.digits).toEqual({ digits: '12', reason: 'finish-key' });
    expect(seen.dtmf).toEqual(['1', '2', '#']);
    expect(seen.bridge?.outcome).toBe('bridged');
    expect(bridgedAt).toBeGreaterThan(0);
    expect(q.totals.rtp.packets).toBeGreaterThan(100);

    await new Promise((r) => setTimeout(r, 300));
    expect(seen.call!.ended).toBe(true);
    expect(seen.hangupBy).toBe('remote');
    // what the agent's softphone heard: the customer's 600 Hz stream
    const heard = agent!.dumps().find((f) => f.endsWith('-dec.wav'));
    expect(heard, `dumps: ${agent!.dumps().join(',')}`).toBeDefined();
    const stats = await audibleStats(heard as string, join(stack.dir, 'agent-heard.wav'));
    expect(stats.seconds).toBeGreaterThan(1);
    expect(Math.abs(stats.freq - 600)).toBeLessThan(60);
  });

  it('a softphone customer hears the prompt then the agent; DTMF via sndcode; agent hold/resume re-INVITEs; the call is recorded', async () => {
    const contact = stack.bindings.get('A-1')?.contact as string;
    const customerTone = await toneWav(join(stack.dir, 'customer.wav'), 600, 20);
    const seen: { digits?: CollectResult; bridge?: BridgeResult; call?: CallChannel; holds: string[] } = { holds: [] };
    const longPrompt = await toneWav(join(stack.dir, 'prompt-long.wav'), 800, 1.5);
    stack.handlers.set('101', async (call) => {
      seen.call = call;
      call.on('hold', () => seen.holds.push('hold'));
      call.on('unhold', () => seen.holds.push('unhold'));
      await call.play([longPrompt]);
      seen.digits = await call.collectDigits({ max: 1, firstDigitTimeoutMs: 8000, interDigitTimeoutMs: 2000 });
      seen.bridge = await call.bridge({ uri: contact, ringTimeoutMs: 8000 });
      await call.startRecording({ agentId: 'A-1', queueId: 'q1' });
    });
    const customer = await startBaresip({ user: 'customer', password: 'x', server: `127.0.0.1:${stack.sipPort}`, audioFile: customerTone, register: false });
    try {
      await customer.command('dial', `sip:101@127.0.0.1:${stack.sipPort}`);
      await customer.waitEvent('CALL_ESTABLISHED', 10_000);
      await new Promise((r) => setTimeout(r, 2000)); // the prompt plays
      await customer.command('sndcode', '5');
      await new Promise((r) => setTimeout(r, 200));
      await customer.command('sndcode', ''); // key release ends the RFC 2833 event
      await agent!.waitEvent('CALL_ESTABLISHED', 10_000, (e) => agent!.events.filter((x) => x.type === 'CALL_ESTABLISHED').indexOf(e) === 1);
      await new Promise((r) => setTimeout(r, 2000)); // customer and agent talk
      const hold = await agent!.command('hold');
      await new Promise((r) => setTimeout(r, 500));
      const resume = await agent!.command('resume');
      await new Promise((r) => setTimeout(r, 500));
      expect(hold.ok && resume.ok, `hold: ${hold.data} resume: ${resume.data}`).toBe(true);
      await customer.command('hangup');
      await customer.waitEvent('CALL_CLOSED', 10_000);
      await agent!.waitEvent('CALL_CLOSED', 10_000, (e) => agent!.events.filter((x) => x.type === 'CALL_CLOSED').indexOf(e) === 1);
    } finally {
      await customer.stop();
    }
    expect(seen.digits).toEqual({ digits: '5', reason: 'max' });
    expect(seen.bridge?.outcome).toBe('bridged');
    expect(seen.holds).toEqual(['hold', 'unhold']);
    expect(seen.call?.ended).toBe(true);

    // what the customer heard: first the 800 Hz prompt, later the agent's 400 Hz
    const heard = customer.dumps().find((f) => f.endsWith('-dec.wav')) as string;
    expect(heard, `dumps: ${customer.dumps().join(',')}`).toBeDefined();
    const promptPart = await audibleStats(heard, join(stack.dir, 'c-prompt.wav'), { trim: ['0', '1.2'] });
    expect(Math.abs(promptPart.freq - 800)).toBeLessThan(60);
    const agentPart = await audibleStats(heard, join(stack.dir, 'c-agent.wav'), { trim: ['-1.5', '1.0'] });
    expect(Math.abs(agentPart.freq - 400)).toBeLessThan(60);

    // the recording started through the CallChannel was converted and stored by the media layer
    await expect.poll(() => stack.recordings.find((r) => r.callId === seen.call!.callId), { timeout: 5000 }).toBeDefined();
    const rec = stack.recordings.find((r) => r.callId === seen.call!.callId)!;
    expect(rec).toMatchObject({ agentId: 'A-1', queueId: 'q1', format: 'wav' });
    expect(rec.durationMs).toBeGreaterThan(1500);
    expect(statSync(rec.path).size).toBeGreaterThan(10_000);
    // stereo WAV from rtpengine's pcap: customer (600 Hz) on the left channel, agent (400 Hz) on the right
    const left = join(stack.dir, 'rec-left.wav');
    const right = join(stack.dir, 'rec-right.wav');
    await exec('sox', [rec.path, left, 'remix', '1']);
    await exec('sox', [rec.path, right, 'remix', '2']);
    expect(Math.abs((await audibleStats(left, join(stack.dir, 'rec-left-trim.wav'))).freq - 600)).toBeLessThan(60);
    expect(Math.abs((await audibleStats(right, join(stack.dir, 'rec-right-trim.wav'))).freq - 400)).toBeLessThan(60);
  });

  it('agent does not answer: ring timeout -> CANCEL -> no-answer; customer hangs up during the next ring: caller-gone', async () => {
    stack.credentials.agent2 = { agentId: 'A-2', password: 'agent2-secret' };
    const agent2 = await startBaresip({ user: 'agent2', password: 'agent2-secret', server: `127.0.0.1:${stack.sipPort}`, audioFile: agentTone, answerMode: 'manual' });
    const customer = await startBaresip({ user: 'customer2', password: 'x', server: `127.0.0.1:${stack.sipPort}`, audioFile: agentTone, register: false });
    const results: BridgeResult[] = [];
    let call: CallChannel | undefined;
    try {
      await agent2.waitEvent('REGISTER_OK', 10_000);
      const contact = stack.bindings.get('A-2')?.contact as string;
      stack.handlers.set('102', async (c) => {
        call = c;
        results.push(await c.bridge({ uri: contact, ringTimeoutMs: 1500 }));
        results.push(await c.bridge({ uri: contact, ringTimeoutMs: 15_000 }));
      });
      await customer.command('dial', `sip:102@127.0.0.1:${stack.sipPort}`);
      await customer.waitEvent('CALL_ESTABLISHED', 10_000);
      await agent2.waitEvent('CALL_CLOSED', 10_000); // first attempt cancelled after 1.5 s
      await agent2.waitEvent('CALL_INCOMING', 10_000, (e) => agent2.events.filter((x) => x.type === 'CALL_INCOMING').indexOf(e) === 1);
      await customer.command('hangup');
      await agent2.waitEvent('CALL_CLOSED', 10_000, (e) => agent2.events.filter((x) => x.type === 'CALL_CLOSED').indexOf(e) === 1);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await customer.stop();
      await agent2.stop();
    }
    expect(results).toEqual([
      { outcome: 'no-answer', sipStatus: 487 },
      { outcome: 'caller-gone', sipStatus: 487 },
    ]);
    expect(call?.ended).toBe(true);
    // baresip un-registered on exit (Expires: 0)
    expect(stack.bindings.has('A-2')).toBe(false);
  });

  it('an unknown DID gets 404 and allocates nothing', async () => {
    const sipp = await runSipp({ scenario: join(import.meta.dirname, 'sipp/uac-expect-404.xml'), remote: `127.0.0.1:${stack.sipPort}`, service: '999', timeoutS: 10 });
    expect(await sipp.done, sippErrors(sipp)).toBe(0);
    expect(await stack.rtpClient.list()).toEqual([]);
  });

  it('leaves no rtpengine session, no registered call and no SIP dialog behind', async () => {
    await new Promise((r) => setTimeout(r, 300));
    expect(await stack.rtpClient.list()).toEqual([]);
    expect(stack.registry.counts().active).toBe(0);
    expect(stack.engine.agent.stats().dialogs).toBe(0);
  });
});
