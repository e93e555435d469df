import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { checkDestination, Originator, TollFraudError } from '../../../src/calls/originator.js';
import { attachInboundRouter, type CallHandler } from '../../../src/calls/inbound-router.js';
import { CallRegistry } from '../../../src/calls/call-registry.js';
import type { CallChannel } from '../../../src/calls/call-channel.js';
import { FakeDialog, FakeMediaFactory, FakeResponse, FakeSrf, fakeRequest, type UacScript } from '../../support/call-fakes.js';

const log = pino({ level: 'silent' });

function originator(script: UacScript, allowedPrefixes = ['+4420', '+331']) {
  const srf = new FakeSrf(script);
  const media = new FakeMediaFactory();
  const registry = new CallRegistry();
  const o = new Originator({ srf, media, log, registry, trunkUriTemplate: 'sip:{number}@127.0.0.1:5080', allowedPrefixes, defaultRingTimeoutMs: 100, cancelGraceMs: 200 });
  return { srf, media, registry, o };
}

describe('toll-fraud guard', () => {
  it('accepts numbers within an allowed prefix, normalizing separators', () => {
    expect(checkDestination('+44 20 7946-0000', ['+4420'])).toBe('+442079460000');
    expect(checkDestination('(020) 7946.0000', ['020'])).toBe('02079460000');
  });
  it.each([
    ['+882123456', ['+4420'], /not within allowed prefixes/],
    ['+4420794600@evil.example', ['+4420'], /not a phone number/],
    ['sip:+4420@x', ['+4420'], /not a phone number/],
    ['+4420;user=phone', ['+4420'], /not a phone number/],
    ['+44207946', [], /no allowed destination prefixes/],
    ['+44207946', ['  '], /no allowed destination prefixes/],
  ])('refuses %s', (to, prefixes, re) => {
    expect(() => checkDestination(to, prefixes)).toThrow(re);
  });
});

describe('Originator (fake srf + media)', () => {
  it('refuses a destination outside the allowed prefixes before any SIP or media', async () => {
    const { o, srf, media } = originator('answer');
    await expect(o.originate({ to: '+882100000', callerId: '+442000000000' })).rejects.toBeInstanceOf(TollFraudError);
    expect(srf.invites).toHaveLength(0);
    expect(media.created).toHaveLength(0);
  });

  it('per-request prefixes override the defaults', async () => {
    const { o, srf } = originator('answer');
    const r = await o.originate({ to: '+4930123456', callerId: '+442000000000', allowedPrefixes: ['+49'] });
    expect(r.outcome).toBe('answered');
    expect(srf.invites[0].uri).toBe('sip:+4930123456@127.0.0.1:5080');
  });

  it('answered: sends the media offer to the trunk URI and returns a registered outbound CallChannel', async () => {
    const { o, srf, media, registry } = originator('answer');
    const r = await o.originate({ to: '+44 20 1234 5678', callerId: '+442000000000', headers: { 'X-Campaign': 'c1' } });
    expect(r.outcome).toBe('answered');
    const call = (r as { call: CallChannel }).call;
    expect(call).toMatchObject({ direction: 'outbound', remoteNumber: '+442012345678', localNumber: '+442000000000', callId: 'uac-1' });
    expect(srf.invites[0]).toMatchObject({
      uri: 'sip:+442012345678@127.0.0.1:5080',
      opts: { localSdp: 'offer-primary-sdp', headers: { 'X-Campaign': 'c1', From: '<sip:+442000000000@localhost>' } },
    });
    // one id for SIP, media session and logs
    expect(srf.invites[0].opts.headers?.['Call-ID']).toBe(media.created[0].id);
    expect(media.created[0].media.log).toEqual(['offerPrimary', 'primaryAnswered:rt1']);
    expect(registry.counts()).toMatchObject({ active: 1, outbound: 1 });
    await call.hangup();
    expect(srf.uacDialogs[0].destroyed).toBe(1);
    expect(media.created[0].media.closed).toBe(1);
    expect(registry.counts().active).toBe(0);
  });

  it('callContact rings an internal contact directly (no trunk, no proxy); trunkUriFor keeps the toll-fraud guard', async () => {
    const srf = new FakeSrf('answer');
    const media = new FakeMediaFactory();
    const o = new Originator({ srf, media, log, trunkUriTemplate: 'sip:{number}@127.0.0.1:5080', outboundProxy: 'sip:proxy.test', allowedPrefixes: ['+4420'] });
    const r = await o.callContact({ uri: 'sip:agent1-0x1@127.0.0.1:5090', callerId: '+442000000000', headers: { 'X-Callback-Id': 'cb1' } });
    expect(r.outcome).toBe('answered');
    const call = (r as { call: CallChannel }).call;
    expect(call.remoteNumber).toBe('agent1-0x1');
    expect(srf.invites[0]).toMatchObject({ uri: 'sip:agent1-0x1@127.0.0.1:5090', opts: { headers: { 'X-Callback-Id': 'cb1' } } });
    expect(srf.invites[0].opts.proxy).toBeUndefined();
    const viaTrunk = await o.originate({ to: '+442012345678', callerId: '+442000000000' });
    expect(srf.invites[1].opts.proxy).toBe('sip:proxy.test'); // customers still go through the outbound proxy
    if (viaTrunk.outcome === 'answered') await viaTrunk.call.hangup();
    expect(o.trunkUriFor('+44 20 1234 5678')).toEqual({ uri: 'sip:+442012345678@127.0.0.1:5080', number: '+442012345678' });
    expect(o.trunkUriFor('+442012345678', { trunk: 'sip:{number}@other.test' }).uri).toBe('sip:+442012345678@other.test');
    expect(() => o.trunkUriFor('+882100000')).toThrow(TollFraudError);
    await call.hangup();
  });

  it.each([
    [486, 'busy'],
    [480, 'no-answer'],
    [404, 'rejected'],
    [503, 'rejected'],
  ] as const)('final %i -> %s, media released', async (status, outcome) => {
    const { o, media, registry } = originator(status);
    expect(await o.originate({ to: '+442012345678', callerId: '1' })).toEqual({ outcome, sipStatus: status });
    expect(media.created[0].media.closed).toBe(1);
    expect(registry.counts().active).toBe(0);
  });

  it('no answer within ringTimeoutMs: CANCEL, outcome no-answer', async () => {
    const { o, srf, media } = originator('ring');
    expect(await o.originate({ to: '+442012345678', callerId: '1', ringTimeoutMs: 30 })).toEqual({ outcome: 'no-answer', sipStatus: 487 });
    expect(srf.invites[0].cancelled).toBe(true);
    expect(media.created[0].media.closed).toBe(1);
  });

  it('a far end that never responds at all: CANCEL, short grace, then failed (no 32 s Timer B wait)', async () => {
    const { o, srf, media } = originator('dead');
    const t0 = Date.now();
    expect(await o.originate({ to: '+442012345678', callerId: '1', ringTimeoutMs: 30 })).toEqual({ outcome: 'failed', sipStatus: 408 });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(srf.invites[0].cancelled).toBe(true);
    expect(media.created[0].media.closed).toBe(1);
  });

  it('a 200 arriving after we gave up is hung up at once (no leaked dialog)', async () => {
    const srf = new FakeSrf('answer');
    const late = new FakeDialog({ callId: 'late', localTag: 'l', remoteTag: 'r' });
    srf.createUAC = (_uri, _opts, progress) => {
      progress?.cbRequest?.(null, fakeRequest({ 'Call-ID': 'late' }));
      return new Promise((resolve) => setTimeout(() => resolve(late), 150));
    };
    const media = new FakeMediaFactory();
    const o = new Originator({ srf, media, log, trunkUriTemplate: 'sip:{number}@127.0.0.1:5080', allowedPrefixes: ['+44'], cancelGraceMs: 20 });
    expect(await o.originate({ to: '+442012345678', callerId: '1', ringTimeoutMs: 20 })).toEqual({ outcome: 'failed', sipStatus: 408 });
    expect(media.created[0].media.closed).toBe(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(late.destroyed).toBe(1);
  });

  it('a transport-level error (no status) is failed', async () => {
    const srf = new FakeSrf('answer');
    srf.createUAC = async () => { throw new Error('ECONNREFUSED'); };
    const media = new FakeMediaFactory();
    const o = new Originator({ srf, media, log, trunkUriTemplate: 'sip:{number}@127.0.0.1:5080', allowedPrefixes: ['+44'] });
    expect(await o.originate({ to: '+442012345678', callerId: '1' })).toEqual({ outcome: 'failed', sipStatus: undefined });
    expect(media.created[0].media.closed).toBe(1);
  });
});

describe('inbound router (fake srf + media)', () => {
  function setup(handlers: Record<string, CallHandler>, extra: { maxActiveCalls?: number; maxCallDurationMs?: number } = {}) {
    const srf = new FakeSrf('answer');
    const media = new FakeMediaFactory();
    const registry = new CallRegistry();
    attachInboundRouter({ srf, media, log, registry, didRouter: { handlerFor: (did) => handlers[did] ?? null }, ...extra });
    const invite = async (did: string, extra: Record<string, string> = {}) => {
      const req = fakeRequest({ 'Call-ID': `in-${did}`, From: '<sip:15551230000@127.0.0.1>;tag=ct', To: `<sip:${did}@127.0.0.1>`, ...extra }, { calledNumber: did });
      const res = new FakeResponse();
      srf.inviteHandler!(req, res);
      await new Promise((r) => setTimeout(r, 20));
      return res;
    };
    return { srf, media, registry, invite };
  }

  it('404 for an unknown DID, nothing allocated', async () => {
    const { invite, media } = setup({});
    const res = await invite('999');
    expect(res.sent.map((s) => s.status)).toEqual([404]);
    expect(media.created).toHaveLength(0);
  });

  it('OPTIONS -> 200', () => {
    const { srf } = setup({});
    const res = new FakeResponse();
    srf.optionsHandler!(fakeRequest({}), res);
    expect(res.sent[0].status).toBe(200);
  });

  it('answers, runs the handler with the call, hangs up when it returns', async () => {
    const seen: string[] = [];
    const { invite, srf, media, registry } = setup({
      '100': async (call) => {
        seen.push(`${call.localNumber}:${call.remoteNumber}:${registry.counts().active}`);
        await call.play(['/welcome.wav']);
      },
    });
    const res = await invite('100');
    expect(res.sent[0].status).toBe(200);
    expect(seen).toEqual(['100:15551230000:1']);
    expect(srf.uasDialogs[0].destroyed).toBe(1);
    expect(media.created[0].media.log).toEqual(['answerPrimary:ct', 'play:/welcome.wav', 'stopPlayback', 'close']);
    expect(registry.counts().active).toBe(0);
  });

  it('a throwing handler still ends the call', async () => {
    const { invite, srf, media } = setup({ '100': async () => { throw new Error('flow bug'); } });
    await invite('100');
    expect(srf.uasDialogs[0].destroyed).toBe(1);
    expect(media.created[0].media.closed).toBe(1);
  });

  it('a handler that returns while bridged leaves the conversation up until a side hangs up', async () => {
    const { invite, srf, registry } = setup({ '200': async (call) => void (await call.bridge({ uri: 'sip:agent@127.0.0.1:5090' })) });
    await invite('200');
    expect(srf.uasDialogs[0].destroyed).toBe(0);
    expect(registry.counts()).toMatchObject({ active: 1, bridged: 1 });
    srf.uacDialogs[0].remoteBye();
    await new Promise((r) => setTimeout(r, 10));
    expect(srf.uasDialogs[0].destroyed).toBe(1);
    expect(registry.counts().active).toBe(0);
  });

  it('over the active-call limit: 503 with Retry-After, no media allocated', async () => {
    let release!: () => void;
    const { invite, media, registry } = setup({ '100': () => new Promise<void>((r) => (release = r)) }, { maxActiveCalls: 1 });
    expect((await invite('100')).sent[0].status).toBe(200);
    const refused = await invite('100');
    expect(refused.sent[0]).toMatchObject({ status: 503, opts: { headers: { 'Retry-After': '30' } } });
    expect(media.created).toHaveLength(1);
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(registry.counts().active).toBe(0);
  });

  it('maxCallDurationMs hangs up a call whose far end went silent', async () => {
    const ended: string[] = [];
    const { invite, srf } = setup({ '100': (call) => new Promise<void>((r) => call.once('hangup', (by: string) => (ended.push(by), r()))) }, { maxCallDurationMs: 50 });
    await invite('100');
    await new Promise((r) => setTimeout(r, 100));
    expect(ended).toEqual(['local']);
    expect(srf.uasDialogs[0].destroyed).toBe(1);
  });

  it('refuses an INVITE without SDP with 488', async () => {
    const { srf, media } = setup({ '100': async () => undefined });
    const req = fakeRequest({ 'Call-ID': 'x', From: '<sip:1@h>;tag=a' }, { calledNumber: '100', body: '' });
    const res = new FakeResponse();
    srf.inviteHandler!(req, res);
    await new Promise((r) => setTimeout(r, 10));
    expect(res.sent[0].status).toBe(488);
    expect(media.created).toHaveLength(0);
  });
});
