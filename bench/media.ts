/**
 * npm run bench:media [-- --levels 50,100,200 --seconds 10]
 * How many concurrent recorded, bridged calls one rtpengine (userspace) plus our media code holds here.
 * Per level: N calls anchored + bridged through RtpCallMedia (port-latching, recording on), every leg sending
 * 20 ms PCMU packets (caller 400 Hz, agent 1000 Hz) from Node UDP sockets for --seconds; then hang up all
 * calls and turn every pcap into a stereo WAV. Reports loss per direction, rtpengine's own counters and CPU.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startRtpengine } from '../test/support/rtpengine.js';
import { testRedis } from '../test/support/redis.js';
import { RtpengineClient } from '../src/media/rtpengine-client.js';
import { DtmfListener } from '../src/media/dtmf-listener.js';
import { RtpCallMediaFactory, type RtpCallMedia } from '../src/media/rtp-call-media.js';
import { RecordingStore } from '../src/recording/recording-store.js';
import { linearToUlaw } from '../src/recording/g711.js';
import { decodeWav } from '../src/media/wav.js';
import { audioEndpoint } from '../src/media/sdp.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const LEVELS = arg('levels', '50,100,200').split(',').map(Number);
const SECONDS = Number(arg('seconds', '10'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 160 samples of a tone whose period divides 160 (400 Hz, 1000 Hz): the same payload fits every packet. */
const payloadOf = (freq: number) => Buffer.from(Array.from({ length: 160 }, (_, i) => linearToUlaw(8000 * Math.sin((2 * Math.PI * freq * i) / 8000))));

interface Leg {
  sock: Socket;
  port: number;
  remote?: { host: string; port: number };
  payload: Buffer;
  seq: number;
  ts: number;
  ssrc: number;
  sent: number;
  received: number;
}

async function openLeg(freq: number): Promise<Leg> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const leg: Leg = { sock, port: (sock.address() as { port: number }).port, payload: payloadOf(freq), seq: 0, ts: 0, ssrc: Math.floor(Math.random() * 2 ** 32), sent: 0, received: 0 };
  sock.on('message', () => leg.received++);
  return leg;
}

const sdpOf = (port: number) =>
  `v=0\r\no=- ${port} 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n`;

function sendPacket(l: Leg): void {
  if (!l.remote) return;
  const h = Buffer.alloc(12);
  h[0] = 0x80;
  h[1] = 0;
  h.writeUInt16BE(l.seq++ & 0xffff, 2);
  h.writeUInt32BE(l.ts >>> 0, 4);
  l.ts += 160;
  h.writeUInt32BE(l.ssrc >>> 0, 8);
  l.sock.send(Buffer.concat([h, l.payload]), l.remote.port, l.remote.host);
  l.sent++;
}

function cpuOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime+stime, clock ticks (100/s) -> s
}

async function runLevel(n: number) {
  const rtpe = await startRtpengine({ ports: Math.max(400, n * 8) });
  const pid = rtpe.proc.child.pid as number;
  const client = new RtpengineClient({ host: '127.0.0.1', port: rtpe.ngPort, timeoutMs: 5000 });
  const dtmf = new DtmfListener({ port: rtpe.dtmfPort });
  await dtmf.start();
  const r = testRedis();
  const work = mkdtempSync(join(tmpdir(), 'bench-media-'));
  const store = new RecordingStore(r.redis, r.keys, { defaultRetentionDays: 1 });
  const factory = new RtpCallMediaFactory({ client, dtmf, log: pino({ level: 'silent' }), recording: { store, spoolDir: rtpe.spoolDir, recordingsDir: work } });
  const calls: { m: RtpCallMedia; a: Leg; b: Leg }[] = [];
  const tSetup = Date.now();
  for (let i = 0; i < n; i++) {
    const a = await openLeg(400);
    const b = await openLeg(1000);
    const m = factory.create(`bench-${n}-${i}`);
    const toA = await m.answerPrimary(sdpOf(a.port), 'a');
    const ea = audioEndpoint(toA)!;
    a.remote = { host: ea.address, port: ea.port };
    await m.startRecording({ campaignId: 'bench' });
    const toB = await m.offerPeer();
    const eb = audioEndpoint(toB)!;
    b.remote = { host: eb.address, port: eb.port };
    await m.peerAnswered(sdpOf(b.port), 'b');
    calls.push({ m, a, b });
  }
  const setupMs = Date.now() - tSetup;
  const statsBefore = (await client.statistics()).raw.statistics as Record<string, Record<string, unknown>>;
  const cpu0 = cpuOf(pid);
  const node0 = process.cpuUsage();
  const t0 = Date.now();
  let ticks = 0;
  let lateTicks = 0;
  // one 20 ms clock for all legs; catches up if the event loop was late (real phones keep sending)
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.floor((Date.now() - t0) / 20);
      if (due - ticks > 1) lateTicks++;
      while (ticks < due) {
        for (const c of calls) {
          sendPacket(c.a);
          sendPacket(c.b);
        }
        ticks++;
      }
      if (Date.now() - t0 >= SECONDS * 1000) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
  await sleep(300);
  const wall = (Date.now() - t0) / 1000;
  const rtpeCpu = (cpuOf(pid) - cpu0) / wall;
  const nodeCpuUs = process.cpuUsage(node0);
  const nodeCpu = (nodeCpuUs.user + nodeCpuUs.system) / 1e6 / wall;
  const stats = (await client.statistics()).raw.statistics as Record<string, Record<string, unknown>>;
  let sumErrors = 0;
  for (const c of calls.slice(0, Math.min(calls.length, 20))) sumErrors += (await client.query(c.m.callId)).totals.rtp.errors;
  const sent = calls.reduce((s, c) => s + c.a.sent + c.b.sent, 0);
  const received = calls.reduce((s, c) => s + c.a.received + c.b.received, 0);
  const perCallLoss = calls.map((c) => 1 - (c.a.received + c.b.received) / Math.max(1, c.a.sent + c.b.sent));
  const worst = Math.max(...perCallLoss);
  // hang up all, convert all recordings
  const tConv = Date.now();
  for (const c of calls) await c.m.close();
  const recs = await Promise.all(calls.map((c) => c.m.recordingDone));
  const convMs = Date.now() - tConv;
  const stored = recs.filter(Boolean).length;
  let sampleOk = false;
  if (recs[0]) {
    const w = decodeWav(readFileSync(recs[0].path));
    sampleOk = w.channels.length === 2 && w.channels[0].length > SECONDS * 8000 * 0.9;
  }
  const leftover = (await client.list()).length;
  for (const c of calls) {
    c.a.sock.close();
    c.b.sock.close();
  }
  client.close();
  await dtmf.stop();
  await rtpe.stop();
  await r.cleanup();
  rmSync(work, { recursive: true, force: true });
  const tot = (s: Record<string, Record<string, unknown>>, k: string) => Number(s.totalstatistics?.[k] ?? 0);
  return {
    calls: n,
    setupMs,
    pps: Math.round(sent / SECONDS),
    lossPct: +(100 * (1 - received / sent)).toFixed(3),
    worstCallLossPct: +(100 * worst).toFixed(2),
    rtpeRelayed: tot(stats, 'relayedpackets') - tot(statsBefore, 'relayedpackets'),
    rtpeRelayErrors: tot(stats, 'relayedpacketerrors') - tot(statsBefore, 'relayedpacketerrors'),
    rtpeCallErrorsFirst20: sumErrors,
    rtpeCpuPct: Math.round(rtpeCpu * 100),
    nodeCpuPct: Math.round(nodeCpu * 100),
    lateTicks,
    recordingsStored: stored,
    conversionMs: convMs,
    sampleWavOk: sampleOk,
    leftoverSessions: leftover,
  };
}

const results = [];
for (const n of LEVELS) {
  process.stdout.write(`level ${n} calls ... `);
  const r = await runLevel(n);
  console.log(JSON.stringify(r));
  results.push(r);
}
console.log('\n| calls | RTP pps (both legs) | loss % (all) | worst call loss % | rtpengine relayed / errors | rtpengine CPU % | node CPU % | set-up ms | WAV conversion ms (all calls) | leftover sessions |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.calls} | ${r.pps} | ${r.lossPct} | ${r.worstCallLossPct} | ${r.rtpeRelayed} / ${r.rtpeRelayErrors} | ${r.rtpeCpuPct} | ${r.nodeCpuPct} | ${r.setupMs} | ${r.conversionMs} | ${r.leftoverSessions} |`);
}
process.exit(0);
