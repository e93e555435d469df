import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startRtpengine, type RtpengineInstance } from '../../support/rtpengine.js';
import { RtpPeer, rms, toneRatio } from '../../support/rtp-peer.js';
import { freePort } from '../../support/ports.js';
import { RtpengineClient, RtpengineError } from '../../../src/media/rtpengine-client.js';
import { DtmfListener } from '../../../src/media/dtmf-listener.js';
import { RtpCallMedia } from '../../../src/media/rtp-call-media.js';
import { MediaSession } from '../../../src/media/media-session.js';
import { audioEndpoint } from '../../../src/media/sdp.js';
import { RecordingStore } from '../../../src/recording/recording-store.js';
import { recoverOrphanRecordings } from '../../../src/recording/call-recorder.js';
import { decodeWav } from '../../../src/media/wav.js';
import { testRedis } from '../../support/redis.js';
import { readFileSync } from 'node:fs';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = pino({ level: 'silent' });
let rtpe: RtpengineInstance;
let client: RtpengineClient;
let dtmf: DtmfListener;
const peers: RtpPeer[] = [];
const medias: RtpCallMedia[] = [];
const work = mkdtempSync(join(tmpdir(), 'media-edge-'));
const phone = async () => {
  const p = await RtpPeer.open();
  peers.push(p);
  return p;
};

beforeAll(async () => {
  rtpe = await startRtpengine({ ports: 40 });
  client = new RtpengineClient({ host: '127.0.0.1', port: rtpe.ngPort });
  dtmf = new DtmfListener({ port: rtpe.dtmfPort });
  await dtmf.start();
});
afterAll(async () => {
  for (const m of medias) await m.close();
  for (const p of peers) p.close();
  client?.close();
  await dtmf?.stop();
  await rtpe?.stop();
});

describe('media session edge cases on a real rtpengine', () => {
  it('hold/unhold re-INVITE from the caller keeps the rtpengine port and the bridge', async () => {
    const caller = await phone();
    const agent = await phone();
    const m = new RtpCallMedia('hold-1', { client, dtmf, log });
    medias.push(m);
    const first = await m.answerPrimary(caller.sdp(), 'c');
    caller.target(first);
    agent.target(await m.offerPeer());
    await m.peerAnswered(agent.sdp(), 'a');
    const hold = caller.sdp({ sessionId: 2 }).replace('a=sendrecv', 'a=sendonly');
    const holdAnswer = await m.reinvite('primary', hold);
    expect(holdAnswer).toMatch(/a=recvonly/);
    const unhold = await m.reinvite('primary', caller.sdp({ sessionId: 3 }));
    expect(unhold).toMatch(/a=sendrecv/);
    expect(audioEndpoint(unhold)?.port).toBe(audioEndpoint(first)?.port);
    const stop = caller.startTone(400);
    const t0 = Date.now();
    await sleep(600);
    stop();
    expect(toneRatio(agent.audio(t0 + 100), 400)).toBeGreaterThan(0.8);
    // digits injected towards the caller arrive as RFC 2833 events (inject-DTMF on both offer and answer)
    const stopAgent = agent.startTone(1000);
    await sleep(100);
    const td = Date.now();
    await m.sendDigits('primary', '59');
    stopAgent();
    expect(await (async () => {
      for (let i = 0; i < 40 && caller.received.filter((p) => p.at >= td && p.pt === 101).length === 0; i++) await sleep(50);
      return new Set(caller.received.filter((p) => p.at >= td && p.pt === 101).map((p) => p.payload[0]));
    })()).toEqual(new Set([5, 9]));
    expect(agent.received.some((p) => p.at >= td && p.pt === 101)).toBe(false);
    // the agent re-INVITEs too
    const agentAnswer = await m.reinvite('peer', agent.sdp({ sessionId: 9 }));
    expect(agentAnswer).toMatch(/m=audio \d+/);
    await m.close();
  });

  it('music on hold loops to the caller until stopHold, and a missing prompt file is skipped, not fatal', async () => {
    const caller = await phone();
    const m = new RtpCallMedia('moh-1', { client, dtmf, log });
    medias.push(m);
    caller.target(await m.answerPrimary(caller.sdp(), 'c'));
    const moh = join(work, 'moh.wav');
    execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', moh, 'synth', '0.5', 'sine', '800', 'vol', '0.5']);
    const t0 = Date.now();
    await m.startHold(moh);
    await sleep(1300); // longer than the file: it loops
    expect(toneRatio(caller.audio(t0 + 800), 800)).toBeGreaterThan(0.8);
    expect(rms(caller.audio(Date.now() - 300))).toBeGreaterThan(3000);
    await m.stopHold();
    await sleep(300);
    const n = caller.received.length;
    await sleep(300);
    expect(caller.received.length - n).toBeLessThan(3);
    const r = await m.play([join(work, 'does-not-exist.wav'), moh]);
    expect(r.interrupted).toBe(false);
    expect(toneRatio(caller.audio(Date.now() - 500), 800)).toBeGreaterThan(0.5);
    await m.close();
  });

  it('a PCMA-only caller is answered with PCMA only, and its A-law recording decodes to the right tones', async () => {
    const r = testRedis();
    try {
      const store = new RecordingStore(r.redis, r.keys, { defaultRetentionDays: 1 });
      const caller = await phone();
      const agent = await phone();
      const m = new RtpCallMedia('alaw-1', { client, dtmf, log, recording: { store, spoolDir: rtpe.spoolDir, recordingsDir: join(work, 'rec') } });
      medias.push(m);
      const answer = await m.answerPrimary(caller.sdp({ codecs: ['PCMA'] }), 'c');
      expect(/m=audio \d+ RTP\/AVP ([\d ]+)/.exec(answer)?.[1].trim()).toBe('8 101');
      caller.target(answer);
      await m.startRecording({ agentId: 'x' });
      agent.target(await m.offerPeer());
      await m.peerAnswered(agent.sdp({ codecs: ['PCMA'] }), 'a');
      const s1 = caller.startTone(400, { codec: 'PCMA' });
      const s2 = agent.startTone(1000, { codec: 'PCMA' });
      const t0 = Date.now();
      await sleep(1200);
      s1();
      s2();
      expect(caller.received.filter((p) => p.at > t0).every((p) => p.pt === 8)).toBe(true);
      await m.close();
      const rec = await m.recordingDone;
      const [left, right] = decodeWav(readFileSync(rec!.path)).channels;
      const from = Math.round(((t0 - Date.parse(rec!.startedAt)) / 1000 + 0.2) * 8000);
      expect(toneRatio(left.subarray(from, from + 6400), 400)).toBeGreaterThan(0.8);
      expect(toneRatio(right.subarray(from, from + 6400), 1000)).toBeGreaterThan(0.8);
    } finally {
      await r.cleanup();
    }
  });

  it('a recording orphaned by a crash is converted later from its pending entry', async () => {
    const r = testRedis();
    try {
      const store = new RecordingStore(r.redis, r.keys, { defaultRetentionDays: 1 });
      const recordingsDir = join(work, 'rec-orphan');
      const caller = await phone();
      const agent = await phone();
      const m = new RtpCallMedia('orphan-1', { client, dtmf, log, recording: { store, spoolDir: rtpe.spoolDir, recordingsDir } });
      caller.target(await m.answerPrimary(caller.sdp(), 'c'));
      agent.target(await m.offerPeer());
      await m.peerAnswered(agent.sdp(), 'a');
      await m.startRecording({ queueId: 'q9', noticePlayed: true });
      const s1 = caller.startTone(400);
      const s2 = agent.startTone(1000);
      const t0 = Date.now();
      await sleep(1000);
      s1();
      s2();
      // the process "dies": nobody calls m.close(); rtpengine's own timeout would reap the call
      expect(await recoverOrphanRecordings({ client, store, spoolDir: rtpe.spoolDir, recordingsDir, log })).toMatchObject({ recovered: [], waiting: 1 });
      await client.delete({ callId: 'orphan-1' });
      const { recovered } = await recoverOrphanRecordings({ client, store, spoolDir: rtpe.spoolDir, recordingsDir, log });
      expect(recovered).toHaveLength(1);
      expect(recovered[0]).toMatchObject({ callId: 'orphan-1', queueId: 'q9', noticePlayed: true });
      expect(await store.listPending()).toEqual([]);
      const [left, right] = decodeWav(readFileSync(recovered[0].path)).channels;
      const from = Math.round(((t0 - Date.parse(recovered[0].startedAt)) / 1000 + 0.2) * 8000);
      expect(toneRatio(left.subarray(from, from + 4800), 400)).toBeGreaterThan(0.8);
      expect(toneRatio(right.subarray(from, from + 4800), 1000)).toBeGreaterThan(0.8);
      await m.close();
    } finally {
      await r.cleanup();
    }
  });

  it('an rtpengine that does not answer gives a clear timeout error and no state', async () => {
    const deadPort = await freePort();
    const dead = new RtpengineClient({ host: '127.0.0.1', port: deadPort, timeoutMs: 300 });
    const s = new MediaSession({ client: dead, callId: 'dead-1', log });
    const err = await s.answerPrimary('v=0\r\n').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RtpengineError);
    expect((err as RtpengineError).kind).toMatch(/timeout|transport/);
    expect((err as Error).message).toMatch(/rtpengine offer \(call dead-1\) failed/);
    await s.close();
    dead.close();
    await expect(dead.ping()).rejects.toThrow(/client closed/);
  });

  it('an rtpengine error reply names the command and reason; leaks are checked with list/statistics', async () => {
    for (const m of medias) await m.close();
    await expect(client.query('no-such-call')).rejects.toThrow(/rtpengine query \(call no-such-call\) failed: Unknown call-id/i);
    expect(await client.deleteIfExists({ callId: 'no-such-call' })).toBe(false);
    expect(await client.list()).toEqual([]);
    expect((await client.statistics()).currentSessionsOwn).toBe(0);
  });
});
