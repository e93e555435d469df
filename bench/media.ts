/**
 * npm run bench:media [-- --levels 50,100,200 --seconds 10 --workers 2]
 * How many concurrent recorded, bridged calls one rtpengine (userspace) plus our media code holds here.
 * Per level: N calls anchored + bridged through RtpCallMedia (port-latching, recording on), every leg sending
 * 20 ms PCMU packets (caller 400 Hz, agent 1000 Hz) from Node UDP sockets for --seconds; then hang up all
 * calls and turn every pcap into a stereo WAV. Reports what rtpengine relayed (its own counters) against
 * what was sent, end-to-end loss at the receiving sockets (includes drops in this Node process), and CPU.
 */
import { Worker } from 'node:worker_threads';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startRtpengine } from '../test/support/rtpengine.js';
import { testRedis } from '../test/support/redis.js';
import { toneRatio } from '../test/support/rtp-peer.js';
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
const WORKERS = Number(arg('workers', '2'));

/** 160 samples of a tone whose period divides 160 (400 Hz, 1000 Hz): the same payload fits every packet. */
const payloadOf = (freq: number) => Buffer.from(Array.from({ length: 160 }, (_, i) => linearToUlaw(8000 * Math.sin((2 * Math.PI * freq * i) / 8000))));

/**
 * The phones: worker threads (plain JS, so no TS loader is needed inside them), each owning a share of the
 * legs' UDP sockets, one 20 ms clock per worker. One Node thread cannot send and receive 40k pps here.
 */
const GENERATOR_JS = `
const { parentPort, workerData } = require('node:worker_threads');
const dgram = require('node:dgram');
const legs = [];
let t0 = 0, ticks = 0, late = 0, timer;
function packet(l) {
  const h = Buffer.alloc(12 + 160);
  h[0] = 0x80; h[1] = 0;
  h.writeUInt16BE(l.seq++ & 0xffff, 2); h.writeUInt32BE(l.ts >>> 0, 4); l.ts += 160;
  h.writeUInt32BE(l.ssrc >>> 0, 8);
  Buffer.from(l.payload).copy(h, 12);
  return h;
}
parentPort.on('message', async (m) => {
  if (m.type === 'open') {
    for (const spec of m.legs) {
      const sock = dgram.createSocket('udp4');
      await new Promise((r) => sock.bind(0, '127.0.0.1', r));
      const l = { id: spec.id, sock, payload: spec.payload, seq: 0, ts: 0, ssrc: Math.floor(Math.random() * 2 ** 32), sent: 0, received: 0 };
      sock.on('message', () => l.received++);
      legs.push(l);
    }
    parentPort.postMessage({ type: 'opened', ports: legs.map((l) => ({ id: l.id, port: l.sock.address().port })) });
  } else if (m.type === 'start') {
    const remotes = new Map(m.remotes.map((r) => [r.id, r]));
    for (const l of legs) l.remote = remotes.get(l.id);
    t0 = Date.now();
    timer = setInterval(() => {
      const due = Math.min(m.seconds * 50, Math.floor((Date.now() - t0) / 20));
      if (due - ticks > 1) late++;
      while (ticks < due) {
        for (const l of legs) { if (l.remote) { l.sock.send(packet(l), l.remote.port, l.remote.host); l.sent++; } }
        ticks++;
      }
      if (ticks >= m.seconds * 50) {
        clearInterval(timer);
        setTimeout(() => parentPort.postMessage({ type: 'done', late, legs: legs.map((l) => ({ id: l.id, sent: l.sent, received: l.received })) }), 300);
      }
    }, 5);
  } else if (m.type === 'close') {
    for (const l of legs) l.sock.close();
    parentPort.postMessage({ type: 'closed' });
  }
});
`;

interface LegResult {
  id: string;
  sent: number;
  received: number;
}

class Generator {
  private readonly w: Worker;
  constructor() {
    this.w = new Worker(GENERATOR_JS, { eval: true });
  }
  private ask<T>(msg: object, reply: string): Promise<T> {
    return new Promise((resolve) => {
      const on = (m: { type: string }) => {
        if (m.type !== reply) return;
        this.w.off('message', on);
        resolve(m as T);
      };
      this.w.on('message', on);
      this.w.postMessage(msg);
    });
  }
  async open(legs: { id: string; payload: number[] }[]): Promise<Map<string, number>> {
    const r = await this.ask<{ ports: { id: string; port: number }[] }>({ type: 'open', legs }, 'opened');
    return new Map(r.ports.map((p) => [p.id, p.port]));
  }
  run(remotes: { id: string; host: string; port: number }[], seconds: number): Promise<{ late: number; legs: LegResult[] }> {
    return this.ask({ type: 'start', remotes, seconds }, 'done');
  }
  async close(): Promise<void> {
    await this.ask({ type: 'close' }, 'closed');
    await this.w.terminate();
  }
}

const sdpOf = (port: number) =>
  `v=0\r\no=- ${port} 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n`;

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
  const gens = Array.from({ length: WORKERS }, () => new Generator());
  const specs = Array.from({ length: n }, (_, i) => [
    { id: `${i}a`, payload: [...payloadOf(400)] },
    { id: `${i}b`, payload: [...payloadOf(1000)] },
  ]);
  const ports = new Map<string, number>();
  for (let g = 0; g < WORKERS; g++) {
    for (const [id, port] of await gens[g].open(specs.filter((_, i) => i % WORKERS === g).flat())) ports.set(id, port);
  }
  const calls: RtpCallMedia[] = [];
  const remotes: { id: string; host: string; port: number }[] = [];
  const tSetup = Date.now();
  for (let i = 0; i < n; i++) {
    const m = factory.create(`bench-${n}-${i}`);
    const ea = audioEndpoint(await m.answerPrimary(sdpOf(ports.get(`${i}a`)!), 'a'))!;
    await m.startRecording({ campaignId: 'bench' });
    const eb = audioEndpoint(await m.offerPeer())!;
    await m.peerAnswered(sdpOf(ports.get(`${i}b`)!), 'b');
    remotes.push({ id: `${i}a`, host: ea.address, port: ea.port }, { id: `${i}b`, host: eb.address, port: eb.port });
    calls.push(m);
  }
  const setupMs = Date.now() - tSetup;
  const statsBefore = (await client.statistics()).raw.statistics as Record<string, Record<string, unknown>>;
  const cpu0 = cpuOf(pid);
  const node0 = process.cpuUsage();
  const t0 = Date.now();
  const runs = await Promise.all(gens.map((g) => g.run(remotes, SECONDS)));
  const wall = (Date.now() - t0) / 1000;
  const rtpeCpu = (cpuOf(pid) - cpu0) / wall;
  const nodeCpuUs = process.cpuUsage(node0); // main thread + workers
  const nodeCpu = (nodeCpuUs.user + nodeCpuUs.system) / 1e6 / wall;
  const lateTicks = runs.reduce((s, r) => s + r.late, 0);
  const legs = new Map(runs.flatMap((r) => r.legs).map((l) => [l.id, l]));
  const stats = (await client.statistics()).raw.statistics as Record<string, Record<string, unknown>>;
  let sumErrors = 0;
  for (const m of calls.slice(0, Math.min(calls.length, 20))) sumErrors += (await client.query(m.callId)).totals.rtp.errors;
  const all = [...legs.values()];
  const sent = all.reduce((s, l) => s + l.sent, 0);
  const received = all.reduce((s, l) => s + l.received, 0);
  const perCallLoss = calls.map((_, i) => {
    const a = legs.get(`${i}a`)!;
    const b = legs.get(`${i}b`)!;
    return 1 - (a.received + b.received) / Math.max(1, a.sent + b.sent);
  });
  const worst = Math.max(...perCallLoss);
  // hang up all, convert all recordings
  const tConv = Date.now();
  for (const m of calls) await m.close();
  const recs = await Promise.all(calls.map((m) => m.recordingDone));
  const convMs = Date.now() - tConv;
  const stored = recs.filter(Boolean).length;
  let sampleOk = false;
  if (recs[0]) {
    const w = decodeWav(readFileSync(recs[0].path));
    const mid = (c: Int16Array) => c.subarray(Math.floor(c.length / 2), Math.floor(c.length / 2) + 8000);
    sampleOk = w.channels.length === 2 && w.channels[0].length > SECONDS * 8000 * 0.9
      && toneRatio(mid(w.channels[0]), 400) > 0.8 && toneRatio(mid(w.channels[1]), 1000) > 0.8;
  }
  const leftover = (await client.list()).length;
  for (const g of gens) await g.close();
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
    workers: WORKERS,
    rtpeLossPct: +(100 * (1 - (tot(stats, 'relayedpackets') - tot(statsBefore, 'relayedpackets')) / sent)).toFixed(3),
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
console.log('\n| calls | RTP pps sent (both legs) | not relayed by rtpengine % | end-to-end loss % (all) | worst call % | rtpengine relayed / errors | rtpengine CPU % | node CPU % | set-up ms | WAV conversion ms (all calls) | leftover sessions |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.calls} | ${r.pps} | ${r.rtpeLossPct} | ${r.lossPct} | ${r.worstCallLossPct} | ${r.rtpeRelayed} / ${r.rtpeRelayErrors} | ${r.rtpeCpuPct} | ${r.nodeCpuPct} | ${r.setupMs} | ${r.conversionMs} | ${r.leftoverSessions} |`);
}
process.exit(0);
