import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { MediaSession, PEER_TAG, PRIMARY_TAG } from '../../../src/media/media-session.js';
import { PromptPlayer } from '../../../src/media/prompt-player.js';
import { DigitCollector } from '../../../src/media/digit-collector.js';
import { RtpengineError, type RtpengineClient } from '../../../src/media/rtpengine-client.js';

const log = pino({ level: 'silent' });

/** Records the ng commands; `fail` makes one command reject like rtpengine would. Real rtpengine: test/e2e/media. */
function fakeClient(o: { fail?: string; playMs?: number } = {}) {
  const calls: string[] = [];
  const sdp = (port: number) => `v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio ${port} RTP/AVP 0\r\na=sendrecv\r\n`;
  const step = (name: string, detail = '') => {
    calls.push(detail ? `${name}:${detail}` : name);
    if (o.fail === name) return Promise.reject(new RtpengineError(name, 'Unknown call-id', 'c1'));
    return Promise.resolve();
  };
  const client = {
    offer: async (x: { fromTag: string; toTag?: string }) => (await step('offer', `${x.fromTag}>${x.toTag ?? ''}`), { sdp: sdp(30000) }),
    answer: async (x: { fromTag: string; toTag: string }) => (await step('answer', `${x.fromTag}>${x.toTag}`), { sdp: sdp(30002) }),
    delete: async () => (await step('delete'), { found: true }),
    playMedia: async (x: { fromTag: string; file: string }) => (await step('play', `${x.fromTag}:${x.file}`), { durationMs: o.playMs ?? 50 }),
    stopMedia: async (x: { fromTag: string }) => step('stop', x.fromTag),
    blockMedia: async (x: { fromTag: string }) => step('block', x.fromTag),
    unblockMedia: async (x: { fromTag: string }) => step('unblock', x.fromTag),
  };
  return { client: client as unknown as RtpengineClient, calls };
}

describe('MediaSession state and cleanup', () => {
  it('inbound anchor, bridge and close use the fixed tags and delete once', async () => {
    const f = fakeClient();
    const s = new MediaSession({ client: f.client, callId: 'c1', log });
    await s.answerPrimary('v=0\r\nm=audio 4000 RTP/AVP 0\r\n');
    await s.offerPeer();
    await s.peerAnswered('v=0\r\nm=audio 5000 RTP/AVP 0\r\n');
    expect(s.hasPeer).toBe(true);
    await Promise.all([s.close(), s.close()]);
    expect(f.calls).toEqual([
      `offer:${PRIMARY_TAG}>`, `answer:${PRIMARY_TAG}>${PEER_TAG}`, `offer:${PRIMARY_TAG}>${PEER_TAG}`, `answer:${PRIMARY_TAG}>${PEER_TAG}`, 'delete',
    ]);
    await expect(s.offerPeer()).rejects.toThrow(/closed/);
  });

  it('a failing answer deletes what the offer created and rethrows; close() afterwards does not delete again', async () => {
    const f = fakeClient({ fail: 'answer' });
    const s = new MediaSession({ client: f.client, callId: 'c1', log });
    await expect(s.answerPrimary('v=0\r\n')).rejects.toBeInstanceOf(RtpengineError);
    await s.close();
    expect(f.calls.filter((c) => c === 'delete')).toHaveLength(1);
  });

  it('refuses out-of-order steps and dropPeer never throws', async () => {
    const f = fakeClient();
    const s = new MediaSession({ client: f.client, callId: 'c1', log });
    await expect(s.offerPeer()).rejects.toThrow(/offerPeer in state new/);
    await expect(s.dropPeer()).resolves.toBeUndefined();
    const g = fakeClient({ fail: 'answer' });
    const t = new MediaSession({ client: g.client, callId: 'c2', log });
    await t.offerPrimary();
    await expect(t.primaryAnswered('v=0\r\n')).rejects.toThrow();
  });
});

describe('PromptPlayer', () => {
  it('blocks the other leg before playing, plays files in order, unblocks after', async () => {
    const f = fakeClient();
    const p = new PromptPlayer({ client: f.client, callId: 'c1', log, marginMs: 0 });
    expect(await p.play({ files: ['/a.wav', '/b.wav'], to: PRIMARY_TAG, block: [PEER_TAG] })).toEqual({ interrupted: false, failed: [] });
    expect(f.calls).toEqual([`block:${PEER_TAG}`, `play:${PRIMARY_TAG}:/a.wav`, `play:${PRIMARY_TAG}:/b.wav`, `unblock:${PEER_TAG}`]);
  });

  it('barge-in stops the prompt and keeps the digit; a buffered digit skips the prompt', async () => {
    const f = fakeClient({ playMs: 5000 });
    const digits = new DigitCollector();
    const p = new PromptPlayer({ client: f.client, callId: 'c1', log, digits });
    const t0 = Date.now();
    const playing = p.play({ files: ['/long.wav', '/never.wav'], to: PRIMARY_TAG, block: [PEER_TAG], bargeIn: true });
    setTimeout(() => digits.push('7'), 50);
    expect(await playing).toEqual({ interrupted: true, failed: [] });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(f.calls).toEqual([`block:${PEER_TAG}`, `play:${PRIMARY_TAG}:/long.wav`, `stop:${PRIMARY_TAG}`, `unblock:${PEER_TAG}`]);
    expect(digits.buffered).toBe('7');
    f.calls.length = 0;
    expect(await p.play({ files: ['/x.wav'], to: PRIMARY_TAG, bargeIn: true })).toEqual({ interrupted: true, failed: [] });
    expect(f.calls).toEqual([]);
    // without barge-in the prompt plays and the digit stays for collectDigits
    expect((await new PromptPlayer({ client: fakeClient().client, callId: 'c1', log, digits, marginMs: 0 }).play({ files: ['/x.wav'], to: PRIMARY_TAG })).interrupted).toBe(false);
  });

  it('a refused file is reported and skipped, and the other leg is still unblocked', async () => {
    const f = fakeClient({ fail: 'play' });
    const p = new PromptPlayer({ client: f.client, callId: 'c1', log, marginMs: 0 });
    expect(await p.play({ files: ['/missing.wav'], to: PRIMARY_TAG, block: [PEER_TAG] })).toEqual({ interrupted: false, failed: ['/missing.wav'] });
    expect(f.calls.at(-1)).toBe(`unblock:${PEER_TAG}`);
  });

  it('a new play supersedes the running one; stop() ends hold music and unblocks', async () => {
    const f = fakeClient({ playMs: 5000 });
    const p = new PromptPlayer({ client: f.client, callId: 'c1', log });
    const first = p.play({ files: ['/one.wav'], to: PRIMARY_TAG });
    await new Promise((r) => setTimeout(r, 20));
    await p.startHold('/moh.wav', PRIMARY_TAG, [PEER_TAG]);
    expect((await first).interrupted).toBe(true);
    await p.stop();
    expect(f.calls.slice(-4)).toEqual([`block:${PEER_TAG}`, `play:${PRIMARY_TAG}:/moh.wav`, `stop:${PRIMARY_TAG}`, `unblock:${PEER_TAG}`]);
  });
});
