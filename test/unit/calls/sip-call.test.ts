import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { SipCall } from '../../../src/calls/sip-call.js';
import { CallRegistry } from '../../../src/calls/call-registry.js';
import { outcomeForStatus } from '../../../src/calls/sip-outcome.js';
import { answerWithDirection, sdpDirection } from '../../../src/calls/sdp-direction.js';
import { FakeMedia, FakeResponse, FakeSrf, fakeRequest, type UacScript } from '../../support/call-fakes.js';

const log = pino({ level: 'silent' });

async function inboundCall(script: UacScript = 'answer') {
  const srf = new FakeSrf(script);
  const media = new FakeMedia();
  const req = fakeRequest({ 'Call-ID': 'call-1', From: '<sip:15551230000@127.0.0.1>;tag=caller-tag', To: '<sip:100@127.0.0.1>' });
  const res = new FakeResponse();
  const call = await SipCall.answer({ srf, req, res, media, log, localNumber: '100', defaultRingTimeoutMs: 200 });
  const hangups: string[] = [];
  call.on('hangup', (by: string) => hangups.push(by));
  const registry = new CallRegistry();
  registry.add(call);
  return { srf, media, req, res, call, hangups, registry, customer: srf.uasDialogs[0] };
}

describe('SipCall (fake srf + media)', () => {
  it('answers with the media layer SDP and exposes call identity', async () => {
    const { call, media, res, registry } = await inboundCall();
    expect(res.sent[0].status).toBe(200);
    expect(media.log[0]).toBe('answerPrimary:caller-tag');
    expect(call).toMatchObject({ callId: 'call-1', direction: 'inbound', remoteNumber: '15551230000', localNumber: '100', ended: false });
    expect(call.answeredAt).toBeInstanceOf(Date);
    expect(registry.counts()).toMatchObject({ active: 1, inbound: 1, bridged: 0 });
  });

  it('re-emits digits from the media layer as dtmf events', async () => {
    const { call, media } = await inboundCall();
    const digits: string[] = [];
    call.on('dtmf', (d: string) => digits.push(d));
    media.digit('4');
    media.digit('#');
    expect(digits).toEqual(['4', '#']);
  });

  it('remote BYE ends the call once, releases media, leaves the registry', async () => {
    const { call, media, customer, hangups, registry } = await inboundCall();
    customer.remoteBye();
    await call.whenEnded();
    expect(call.ended).toBe(true);
    expect(hangups).toEqual(['remote']);
    expect(customer.destroyed).toBe(0); // no BYE back for a dialog the caller already ended
    expect(media.closed).toBe(1);
    expect(registry.counts().active).toBe(0);
    await call.hangup();
    expect(hangups).toEqual(['remote']);
    expect(media.closed).toBe(1);
  });

  it('local hangup sends BYE and releases media; play/collect after that report hangup', async () => {
    const { call, media, customer, hangups } = await inboundCall();
    await call.hangup();
    expect(customer.destroyed).toBe(1);
    expect(media.closed).toBe(1);
    expect(hangups).toEqual(['local']);
    expect(await call.play(['/p.wav'])).toEqual({ interrupted: true });
    expect(await call.collectDigits({ max: 4, firstDigitTimeoutMs: 1000, interDigitTimeoutMs: 1000 })).toEqual({ digits: '', reason: 'hangup' });
  });

  it('a pending collectDigits resolves with reason hangup when the caller leaves', async () => {
    const { call, media, customer } = await inboundCall();
    media.collectResult = new Promise(() => undefined);
    const p = call.collectDigits({ max: 4, firstDigitTimeoutMs: 10_000, interDigitTimeoutMs: 1000 });
    customer.remoteBye();
    expect(await p).toEqual({ digits: '', reason: 'hangup' });
  });

  it('bridge: INVITEs the target with the caller id and media offer, then bridges media', async () => {
    const { call, srf, media, registry } = await inboundCall();
    const events: string[] = [];
    call.on('bridged', (leg: string) => events.push(`bridged:${leg}`));
    await call.startHold('/moh.wav');
    const r = await call.bridge({ uri: 'sip:agent1@127.0.0.1:5090', headers: { 'X-Call-Id': 'call-1' } });
    expect(r).toEqual({ outcome: 'bridged', legCallId: 'uac-1' });
    expect(events).toEqual(['bridged:uac-1']);
    expect(srf.invites[0].uri).toBe('sip:agent1@127.0.0.1:5090');
    expect(srf.invites[0].opts.localSdp).toBe('offer-peer-sdp');
    expect(srf.invites[0].opts.headers).toMatchObject({ 'X-Call-Id': 'call-1', From: '<sip:15551230000@localhost>' });
    expect(media.log.slice(-3)).toEqual(['offerPeer', 'stopPlayback', 'peerAnswered:rt1']);
    expect(registry.counts().bridged).toBe(1);
  });

  it('BYE from the bridged party ends both legs and releases media', async () => {
    const { call, srf, media, customer, hangups } = await inboundCall();
    const events: string[] = [];
    call.on('unbridged', () => events.push('unbridged'));
    await call.bridge({ uri: 'sip:agent1@127.0.0.1:5090' });
    srf.uacDialogs[0].remoteBye();
    await call.whenEnded();
    expect(events).toEqual(['unbridged']);
    expect(customer.destroyed).toBe(1);
    expect(srf.uacDialogs[0].destroyed).toBe(0);
    expect(hangups).toEqual(['remote']);
    expect(media.closed).toBe(1);
  });

  it('BYE from the caller while bridged hangs up the bridged party too', async () => {
    const { call, srf, customer } = await inboundCall();
    await call.bridge({ uri: 'sip:agent1@127.0.0.1:5090' });
    customer.remoteBye();
    await call.whenEnded();
    expect(srf.uacDialogs[0].destroyed).toBe(1);
  });

  it.each([
    [486, 'busy'],
    [600, 'busy'],
    [480, 'no-answer'],
    [408, 'no-answer'],
    [403, 'rejected'],
    [603, 'rejected'],
    [503, 'rejected'],
  ])('bridge failure %i -> %s, peer media dropped, caller still up', async (status, outcome) => {
    const { call, media } = await inboundCall(status);
    expect(await call.bridge({ uri: 'sip:agent1@127.0.0.1:5090' })).toEqual({ outcome, sipStatus: status });
    expect(media.log).toContain('dropPeer');
    expect(call.ended).toBe(false);
  });

  it('ring timeout sends CANCEL and maps to no-answer', async () => {
    const { call, srf } = await inboundCall('ring');
    const r = await call.bridge({ uri: 'sip:agent1@127.0.0.1:5090', ringTimeoutMs: 50 });
    expect(r).toEqual({ outcome: 'no-answer', sipStatus: 487 });
    expect(srf.invites[0].cancelled).toBe(true);
  });

  it('caller hanging up while the agent rings cancels the INVITE: caller-gone', async () => {
    const { call, srf, customer, media } = await inboundCall('ring');
    const p = call.bridge({ uri: 'sip:agent1@127.0.0.1:5090', ringTimeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 20));
    customer.remoteBye();
    expect((await p).outcome).toBe('caller-gone');
    expect(srf.invites[0].cancelled).toBe(true);
    expect(media.closed).toBe(1);
  });

  it('a media failure after the agent answered releases both legs', async () => {
    const { call, srf, media, customer } = await inboundCall();
    media.failPeerAnswered = true;
    expect((await call.bridge({ uri: 'sip:agent1@127.0.0.1:5090' })).outcome).toBe('failed');
    expect(call.ended).toBe(true);
    expect(srf.uacDialogs[0].destroyed).toBe(1);
    expect(customer.destroyed).toBe(1);
    expect(media.closed).toBe(1);
  });

  it('answers a hold re-INVITE with the mirrored direction and emits hold/unhold', async () => {
    const { call, customer } = await inboundCall();
    const seen: string[] = [];
    call.on('hold', () => seen.push('hold'));
    call.on('unhold', () => seen.push('unhold'));
    const res1 = new FakeResponse();
    customer.emit('modify', fakeRequest({}, { body: 'v=0\r\nm=audio 6000 RTP/AVP 0\r\na=sendonly\r\n' }), res1);
    expect(res1.sent[0].status).toBe(200);
    expect((res1.sent[0].opts as { body: string }).body).toContain('a=recvonly');
    const res2 = new FakeResponse();
    customer.emit('modify', fakeRequest({}, { body: 'v=0\r\nm=audio 6000 RTP/AVP 0\r\na=sendrecv\r\n' }), res2);
    expect((res2.sent[0].opts as { body: string }).body).toContain('a=sendrecv');
    expect(seen).toEqual(['hold', 'unhold']);
  });

  it('a re-INVITE goes through media.reinvite when the media layer offers it (rtpengine learns the new SDP)', async () => {
    const { call, customer, media } = await inboundCall();
    const seenBy: string[] = [];
    (media as FakeMedia & { reinvite: (leg: string, sdp: string) => Promise<string> }).reinvite = async (leg, sdp) => {
      seenBy.push(`${leg}:${sdpDirection(sdp)}`);
      return 'v=0\r\nm=audio 7000 RTP/AVP 0\r\na=recvonly\r\n';
    };
    const held: string[] = [];
    call.on('hold', (leg: string) => held.push(leg));
    const res = new FakeResponse();
    customer.emit('modify', fakeRequest({}, { body: 'v=0\r\nm=audio 6002 RTP/AVP 0\r\na=sendonly\r\n' }), res);
    await new Promise((r) => setTimeout(r, 10));
    expect(seenBy).toEqual(['primary:sendonly']);
    expect((res.sent[0].opts as { body: string }).body).toContain('m=audio 7000');
    expect(customer.local.sdp).toContain('m=audio 7000');
    expect(held).toEqual(['customer']);
  });

  it('a CANCEL that arrives while media is being set up releases media and throws', async () => {
    const srf = new FakeSrf();
    const media = new FakeMedia();
    const req = fakeRequest({ 'Call-ID': 'c2', From: '<sip:1@h>;tag=t' });
    const slow = media.answerPrimary.bind(media);
    media.answerPrimary = async (sdp, tag) => {
      req.emit('cancel');
      return slow(sdp, tag);
    };
    await expect(SipCall.answer({ srf, req, res: new FakeResponse(), media, log, localNumber: '100' })).rejects.toThrow(/cancelled/);
    expect(media.closed).toBe(1);
    expect(srf.uasDialogs).toHaveLength(0);
  });
});

describe('status and SDP helpers', () => {
  it('maps final statuses to outcomes', () => {
    expect([486, 600, 408, 480, 487, 404, 503, 603, undefined].map(outcomeForStatus)).toEqual([
      'busy', 'busy', 'no-answer', 'no-answer', 'no-answer', 'rejected', 'rejected', 'rejected', 'failed',
    ]);
  });

  it('reads SDP direction (media level wins; c=0.0.0.0 is hold) and mirrors it', () => {
    expect(sdpDirection('v=0\r\na=sendonly\r\nm=audio 1 RTP/AVP 0\r\na=inactive\r\n')).toBe('inactive');
    expect(sdpDirection('v=0\r\na=sendonly\r\nm=audio 1 RTP/AVP 0\r\n')).toBe('sendonly');
    expect(sdpDirection('v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 1 RTP/AVP 0\r\n')).toBe('sendonly');
    expect(sdpDirection('v=0\r\nm=audio 1 RTP/AVP 0\r\n')).toBe('sendrecv');
    const ours = 'v=0\r\no=- 123 18446744073709551615 IN IP4 127.0.0.1\r\nm=audio 5000 RTP/AVP 0\r\na=sendrecv\r\n';
    const held = answerWithDirection(ours, 'sendonly');
    expect(held).toBe('v=0\r\no=- 123 18446744073709551616 IN IP4 127.0.0.1\r\nm=audio 5000 RTP/AVP 0\r\na=recvonly\r\n');
    expect(answerWithDirection('v=0\r\nm=audio 1 RTP/AVP 0\r\n', 'inactive')).toBe('v=0\r\nm=audio 1 RTP/AVP 0\r\na=inactive\r\n');
  });
});
