import { mkdtempSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startRtpengine, type RtpengineInstance } from '../../support/rtpengine.js';
import { RtpPeer, rms, toneRatio } from '../../support/rtp-peer.js';
import { testRedis } from '../../support/redis.js';
import { RtpengineClient } from '../../../src/media/rtpengine-client.js';
import { DtmfListener } from '../../../src/media/dtmf-listener.js';
import { RtpCallMediaFactory, type RtpCallMedia } from '../../../src/media/rtp-call-media.js';
import { RecordingStore } from '../../../src/recording/recording-store.js';
import { decodeWav } from '../../../src/media/wav.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls until cond() holds (media on a loaded 2-core box can lag by a few hundred ms); false on timeout. */
async function eventually(cond: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(50);
  }
  return cond();
}
const log = pino({ level: process.env.TEST_LOG ?? 'silent' });

let rtpe: RtpengineInstance;
let client: RtpengineClient;
let dtmf: DtmfListener;
let factory: RtpCallMediaFactory;
let store: RecordingStore;
let redisCtx: ReturnType<typeof testRedis>;
const work = mkdtempSync(join(tmpdir(), 'media-e2e-'));
const tone = (name: string, freq: number, secs = 1) => {
  const p = join(work, name);
  execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', p, 'synth', String(secs), 'sine', String(freq), 'vol', '0.5']);
  return p;
};
let tone600: string;
let tone1400: string;
const peers: RtpPeer[] = [];
const medias: RtpCallMedia[] = [];

async function phone(): Promise<RtpPeer> {
  const p = await RtpPeer.open();
  peers.push(p);
  return p;
}
function media(callId: string): RtpCallMedia {
  const m = factory.create(callId);
  medias.push(m);
  return m;
}

beforeAll(async () => {
  rtpe = await startRtpengine({ ports: 100 });
  client = new RtpengineClient({ host: '127.0.0.1', port: rtpe.ngPort, timeoutMs: 2000 });
  await client.ping();
  dtmf = new DtmfListener({ port: rtpe.dtmfPort, log });
  await dtmf.start();
  redisCtx = testRedis();
  store = new RecordingStore(redisCtx.redis, redisCtx.keys, { defaultRetentionDays: 30 });
  factory = new RtpCallMediaFactory({
    client, dtmf, log,
    recording: { store, spoolDir: rtpe.spoolDir, recordingsDir: join(work, 'recordings') },
  });
  tone600 = tone('t600.wav', 600);
  tone1400 = tone('t1400.wav', 1400, 0.6);
});

afterAll(async () => {
  for (const m of medias) await m.close();
  for (const p of peers) p.close();
  client?.close();
  await dtmf?.stop();
  await rtpe?.stop();
  await redisCtx?.cleanup();
});

describe('RtpCallMedia on a real rtpengine', () => {
  it('plays a prompt sequence to a single anchored inbound leg (IVR) and the caller hears it', async () => {
    const caller = await phone();
    const m = media('ivr-1');
    const answer = await m.answerPrimary(caller.sdp(), 'sip-from-tag');
    expect(answer).toMatch(/a=sendrecv/);
    expect(answer).not.toMatch(/c=IN IP4 0\.0\.0\.0/);
    caller.target(answer);
    const stop = caller.startTone(300);
    const t0 = Date.now();
    const r = await m.play([tone600, tone1400]);
    const elapsed = Date.now() - t0;
    stop();
    expect(r).toEqual({ interrupted: false });
    expect(elapsed).toBeGreaterThanOrEqual(1500);
    await sleep(100);
    const heard = caller.received.filter((p) => p.pt === 0);
    const audio = caller.audio(t0);
    expect(rms(audio)).toBeGreaterThan(3000);
    // first file then second file, in that order
    const first = audio.subarray(800, 7200);
    const second = audio.subarray(8800, 12000);
    expect(toneRatio(first, 600)).toBeGreaterThan(0.8);
    expect(toneRatio(second, 1400)).toBeGreaterThan(0.8);
    expect(heard.length).toBeGreaterThan(70);
    await m.close();
  });

  it('reports RFC 2833 digits from the caller, with type-ahead during a prompt and barge-in', async () => {
    const caller = await phone();
    const m = media('dtmf-1');
    caller.target(await m.answerPrimary(caller.sdp(), 't'));
    const seen: string[] = [];
    m.onDigit((d) => seen.push(d));
    const long = tone('t500-3s.wav', 500, 3);
    const t0 = Date.now();
    const playing = m.play([long, long], { bargeIn: true });
    await sleep(400);
    await caller.sendDigit('4');
    expect(await eventually(() => seen.includes('4')), 'rtpengine reported the digit').toBe(true);
    const r = await playing;
    expect(r.interrupted).toBe(true);
    expect(Date.now() - t0).toBeLessThan(2000);
    // the barge-in key is kept for the next collect, then more keys follow
    const collecting = m.collectDigits({ max: 4, finishOnKey: '#', firstDigitTimeoutMs: 2000, interDigitTimeoutMs: 1500 });
    await caller.sendDigit('2');
    await caller.sendDigit('#');
    expect(await collecting).toEqual({ digits: '42', reason: 'finish-key' });
    expect(seen).toEqual(['4', '2', '#']);
    // inter-digit timeout
    const t1 = Date.now();
    const c2 = m.collectDigits({ max: 6, firstDigitTimeoutMs: 3000, interDigitTimeoutMs: 700 });
    await caller.sendDigit('9');
    const res2 = await c2;
    expect(res2).toEqual({ digits: '9', reason: 'timeout' });
    expect(Date.now() - t1).toBeGreaterThanOrEqual(700);
    // first-digit timeout with nothing pressed
    const t2 = Date.now();
    expect(await m.collectDigits({ max: 1, firstDigitTimeoutMs: 400, interDigitTimeoutMs: 5000 })).toEqual({ digits: '', reason: 'timeout' });
    expect(Date.now() - t2).toBeGreaterThanOrEqual(390);
    await m.close();
    expect(await m.collectDigits({ max: 1, firstDigitTimeoutMs: 400, interDigitTimeoutMs: 400 })).toEqual({ digits: '', reason: 'hangup' });
  });

  it('bridges caller and agent, keeps the caller port, records 400 Hz left / 1000 Hz right with a silent pause', async () => {
    const caller = await phone();
    const agent = await phone();
    const m = media('bridge-1');
    const toCaller = await m.answerPrimary(caller.sdp(), 'c');
    caller.target(toCaller);
    await m.startRecording({ campaignId: 'camp-1', agentId: 'agent-7', noticePlayed: true });
    const offer = await m.offerPeer();
    agent.target(offer);
    await m.peerAnswered(agent.sdp(), 'a');
    // the caller keeps the rtpengine port it was answered with (no re-INVITE needed)
    expect([...m.session.localPorts.primary]).toEqual([Number(/m=audio (\d+)/.exec(toCaller)![1])]);
    const stopA = caller.startTone(400, { codec: 'PCMU' });
    const stopB = agent.startTone(1000, { codec: 'PCMU' });
    const t0 = Date.now();
    await sleep(1500);
    expect(toneRatio(caller.audio(t0 + 200), 1000)).toBeGreaterThan(0.8);
    expect(toneRatio(agent.audio(t0 + 200), 400)).toBeGreaterThan(0.8);
    // symmetric RTP: the caller receives from the port it sends to
    expect(new Set(caller.received.filter((p) => p.at > t0).map((p) => p.fromPort))).toEqual(new Set([caller.remote!.port]));
    const tPause = Date.now();
    await m.pauseRecording();
    await sleep(1000);
    await m.resumeRecording();
    const tResume = Date.now();
    // a prompt to the caller while bridged: the agent is blocked, so the caller hears only the prompt
    const tp = Date.now();
    await m.play([tone1400]);
    const during = caller.audio(tp + 150);
    expect(toneRatio(during, 1400)).toBeGreaterThan(0.5);
    expect(toneRatio(during, 1000)).toBeLessThan(0.05);
    await sleep(1000);
    stopA();
    stopB();
    await m.close();
    const rec = await m.recordingDone;
    expect(rec).toBeDefined();
    expect(rec!.campaignId).toBe('camp-1');
    expect(rec!.noticePlayed).toBe(true);
    expect(rec!.pausedMs).toBeGreaterThanOrEqual(900);
    const wav = decodeWav(readFileSync(rec!.path));
    expect(wav.sampleRate).toBe(8000);
    expect(wav.channels).toHaveLength(2);
    const [left, right] = wav.channels;
    // windows in wall-clock time relative to the recording start (the machine may be slow to set up)
    const startMs = Date.parse(rec!.startedAt);
    const sec = (a: Int16Array, fromMs: number, toMs: number) =>
      a.subarray(Math.round(((fromMs - startMs) * 8000) / 1000), Math.round(((toMs - startMs) * 8000) / 1000));
    expect(toneRatio(sec(left, t0 + 200, t0 + 1200), 400)).toBeGreaterThan(0.8);
    expect(toneRatio(sec(right, t0 + 200, t0 + 1200), 1000)).toBeGreaterThan(0.8);
    expect(toneRatio(sec(left, t0 + 200, t0 + 1200), 1000)).toBeLessThan(0.05);
    expect(toneRatio(sec(right, t0 + 200, t0 + 1200), 400)).toBeLessThan(0.05);
    // the paused second is silence on both channels
    expect(rms(sec(left, tPause + 250, tResume - 150))).toBeLessThan(50);
    expect(rms(sec(right, tPause + 250, tResume - 150))).toBeLessThan(50);
    // and audio resumes after it
    expect(toneRatio(sec(left, tResume + 300, tResume + 800), 400)).toBeGreaterThan(0.8);
    expect(rec!.durationMs).toBeGreaterThan(3000);
    expect((await store.list({ agentId: 'agent-7' })).items.map((r) => r.id)).toEqual([rec!.id]);
    // pcaps are consumed
    expect(readdirSync(join(rtpe.spoolDir, 'pcaps')).filter((n) => n.startsWith('bridge-1-'))).toEqual([]);
  });

  it('a failed bridge attempt falls back to the anchored caller, and prompts still reach the caller', async () => {
    const caller = await phone();
    const m = media('dropped-1');
    caller.target(await m.answerPrimary(caller.sdp(), 'c'));
    await m.offerPeer();
    await m.dropPeer();
    const t0 = Date.now();
    await m.play([tone600]);
    expect(toneRatio(caller.audio(t0).subarray(400, 6400), 600)).toBeGreaterThan(0.8);
    // a second bridge works after the failed one
    const agent = await phone();
    agent.target(await m.offerPeer());
    await m.peerAnswered(agent.sdp(), 'a2');
    const stop = caller.startTone(700);
    const t1 = Date.now();
    expect(await eventually(() => agent.audio(t1).length >= 3200 && toneRatio(agent.audio(t1).subarray(-3200), 700) > 0.8)).toBe(true);
    stop();
    await m.close();
  });

  it('outbound: offer first, callee answers, hears a prompt, then is bridged to an agent', async () => {
    const callee = await phone();
    const agent = await phone();
    const m = media('out-1');
    const offer = await m.offerPrimary();
    callee.target(offer);
    await m.primaryAnswered(callee.sdp(), 'callee');
    const t0 = Date.now();
    await m.play([tone600]);
    expect(toneRatio(callee.audio(t0).subarray(400, 6400), 600)).toBeGreaterThan(0.8);
    agent.target(await m.offerPeer());
    await m.peerAnswered(agent.sdp(), 'ag');
    const s1 = callee.startTone(400);
    const s2 = agent.startTone(1000);
    const t1 = Date.now();
    const tail = (p: RtpPeer) => p.audio(t1).subarray(-3200);
    expect(await eventually(() => tail(agent).length === 3200 && toneRatio(tail(agent), 400) > 0.8)).toBe(true);
    expect(await eventually(() => tail(callee).length === 3200 && toneRatio(tail(callee), 1000) > 0.8)).toBe(true);
    s1();
    s2();
    await m.close();
  });

  it('leaves no rtpengine session behind after hangup, failed offers and double close', async () => {
    const bad = media('leak-bad-sdp');
    await expect(bad.answerPrimary('this is not sdp', 't')).rejects.toThrow(/rtpengine offer/);
    await bad.close();
    const ok = media('leak-ok');
    const p = await phone();
    p.target(await ok.answerPrimary(p.sdp(), 't'));
    await ok.close();
    await ok.close();
    await expect(ok.offerPeer()).rejects.toThrow(/closed/);
    const out = media('leak-out');
    await out.offerPrimary();
    await out.close();
    for (const m of medias) await m.close();
    await sleep(100);
    expect(await client.list()).toEqual([]);
    expect((await client.statistics()).currentSessionsOwn).toBe(0);
  });
});

it('the generated fixture files exist', () => {
  expect(existsSync(resolve(work, 't600.wav'))).toBe(true);
});
