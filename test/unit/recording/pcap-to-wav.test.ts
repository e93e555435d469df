import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertPcapsToWav, parsePcap, parseRtp, pcapsToStereo, udpFromFrame } from '../../../src/recording/pcap-to-wav.js';
import { alawToLinear, linearToAlaw, linearToUlaw, ulawToLinear } from '../../../src/recording/g711.js';
import { decodeWav } from '../../../src/media/wav.js';
import { toneRatio } from '../../support/rtp-peer.js';

interface Rec {
  tsUs: number;
  srcPort: number;
  dstPort: number;
  pt: number;
  seq: number;
  ts: number;
  ssrc: number;
  payload: Buffer;
}

/** A pcap as rtpengine writes it: LINKTYPE_RAW, IPv4/UDP/RTP, microsecond timestamps. */
function pcap(recs: Rec[], opts: { truncateLast?: boolean } = {}): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(101, 20);
  const parts = [head];
  for (const r of recs) {
    const rtp = Buffer.alloc(12);
    rtp[0] = 0x80;
    rtp[1] = r.pt;
    rtp.writeUInt16BE(r.seq & 0xffff, 2);
    rtp.writeUInt32BE(r.ts >>> 0, 4);
    rtp.writeUInt32BE(r.ssrc >>> 0, 8);
    const udpLen = 8 + 12 + r.payload.length;
    const ip = Buffer.alloc(20 + 8);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + udpLen, 2);
    ip[8] = 64;
    ip[9] = 17;
    Buffer.from([127, 0, 0, 1, 127, 0, 0, 1]).copy(ip, 12);
    ip.writeUInt16BE(r.srcPort, 20);
    ip.writeUInt16BE(r.dstPort, 22);
    ip.writeUInt16BE(udpLen, 24);
    const pkt = Buffer.concat([ip, rtp, r.payload]);
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(Math.floor(r.tsUs / 1e6), 0);
    rh.writeUInt32LE(r.tsUs % 1e6, 4);
    rh.writeUInt32LE(pkt.length, 8);
    rh.writeUInt32LE(pkt.length, 12);
    parts.push(rh, pkt);
  }
  const all = Buffer.concat(parts);
  return opts.truncateLast ? all.subarray(0, all.length - 30) : all;
}

const T0 = 1_795_000_000_000_000; // µs
const LEFT = { dstPorts: [30000] };
const RIGHT = { dstPorts: [30002] };

/** n 20 ms packets of a tone (or of constant values) from one sender. */
function stream(o: { n: number; dstPort: number; pt?: 0 | 8; freq?: number; value?: (k: number) => number; startUs?: number; seq0?: number; ts0?: number; ssrc?: number }): Rec[] {
  const pt = o.pt ?? 0;
  const enc = pt === 0 ? linearToUlaw : linearToAlaw;
  const out: Rec[] = [];
  for (let k = 0; k < o.n; k++) {
    const payload = Buffer.alloc(160);
    for (let i = 0; i < 160; i++) {
      const s = k * 160 + i;
      payload[i] = enc(o.value ? o.value(k) : 8000 * Math.sin((2 * Math.PI * (o.freq ?? 400) * s) / 8000));
    }
    out.push({
      tsUs: (o.startUs ?? T0) + k * 20_000,
      srcPort: o.dstPort + 10000,
      dstPort: o.dstPort,
      pt,
      seq: (o.seq0 ?? 1000) + k,
      ts: ((o.ts0 ?? 5000) + k * 160) >>> 0,
      ssrc: o.ssrc ?? 0x1234,
      payload,
    });
  }
  return out;
}

describe('G.711', () => {
  it('u-law and A-law round-trip within the companding error and decode the reference values', async () => {
    expect(ulawToLinear(0xff)).toBe(0);
    expect(ulawToLinear(0x80)).toBe(32124);
    expect(ulawToLinear(0x00)).toBe(-32124);
    expect(alawToLinear(0xd5)).toBe(8);
    expect(alawToLinear(0xaa)).toBe(32256);
    expect(alawToLinear(0x2a)).toBe(-32256);
    for (let s = -32000; s <= 32000; s += 97) {
      expect(Math.abs(ulawToLinear(linearToUlaw(s)) - s)).toBeLessThanOrEqual(Math.max(8, Math.abs(s) / 16));
      expect(Math.abs(alawToLinear(linearToAlaw(s)) - s)).toBeLessThanOrEqual(Math.max(16, Math.abs(s) / 16));
    }
  });
});

describe('pcap parsing', () => {
  it('reads records, IPv4/UDP and RTP headers, and stops at a truncated last record', async () => {
    const recs = stream({ n: 3, dstPort: 30000 });
    const { linkType, packets } = parsePcap(pcap(recs, { truncateLast: true }));
    expect(linkType).toBe(101);
    expect(packets).toHaveLength(2);
    const d = udpFromFrame(linkType, packets[1].data, packets[1].tsUs)!;
    expect(d.dst).toEqual({ address: '127.0.0.1', port: 30000 });
    expect(d.src.port).toBe(40000);
    const rtp = parseRtp(d.payload)!;
    expect(rtp).toMatchObject({ payloadType: 0, seq: 1001, timestamp: 5160, ssrc: 0x1234 });
    expect(rtp.payload).toHaveLength(160);
    expect(() => parsePcap(Buffer.alloc(40))).toThrow(/not a pcap/);
  });
});

describe('pcapsToStereo', () => {
  it('puts the left selector on the left channel and decodes u-law and A-law', async () => {
    const buf = pcap([...stream({ n: 50, dstPort: 30000, freq: 400 }), ...stream({ n: 50, dstPort: 30002, pt: 8, freq: 1000, ssrc: 99 })]);
    const st = await pcapsToStereo([buf], { left: LEFT, right: RIGHT });
    expect(st.left).toHaveLength(8000);
    expect(st.durationMs).toBe(1000);
    expect(toneRatio(st.left, 400)).toBeGreaterThan(0.95);
    expect(toneRatio(st.right, 1000)).toBeGreaterThan(0.95);
    expect(toneRatio(st.left, 1000)).toBeLessThan(0.01);
    // swapping selectors swaps channels
    const sw = await pcapsToStereo([buf], { left: RIGHT, right: LEFT });
    expect(toneRatio(sw.left, 1000)).toBeGreaterThan(0.95);
  });

  it('undoes reordering, drops duplicates, and fills a lost packet with silence at its place', async () => {
    const recs = stream({ n: 10, dstPort: 30000, value: (k) => (k + 1) * 1000 });
    const lost = recs.splice(4, 1); // packet 4 lost
    expect(lost).toHaveLength(1);
    [recs[1], recs[2]] = [recs[2], recs[1]]; // 1 and 2 arrive swapped
    recs.push({ ...recs[6] }); // a duplicate
    const st = await pcapsToStereo([pcap(recs)], { left: LEFT, right: RIGHT });
    const at = (k: number) => st.left[k * 160 + 80];
    const q = (v: number) => ulawToLinear(linearToUlaw(v));
    for (const k of [0, 1, 2, 3, 5, 6, 7, 8, 9]) expect(at(k)).toBe(q((k + 1) * 1000));
    expect(at(4)).toBe(0);
    expect(st.left).toHaveLength(1600);
    expect(st.right.every((s) => s === 0)).toBe(true);
  });

  it('handles sequence and timestamp wrap-around', async () => {
    const recs = stream({ n: 20, dstPort: 30000, seq0: 65530, ts0: 0xffffffff - 160 * 5 + 1, value: (k) => (k + 1) * 500 });
    const st = await pcapsToStereo([pcap(recs)], { left: LEFT, right: RIGHT });
    expect(st.left).toHaveLength(20 * 160);
    const q = (v: number) => ulawToLinear(linearToUlaw(v));
    for (let k = 0; k < 20; k++) expect(st.left[k * 160 + 10]).toBe(q((k + 1) * 500));
  });

  it('lines up recording segments (pause = gap between pcap files) as silence on the common timeline', async () => {
    const seg1 = pcap([...stream({ n: 50, dstPort: 30000, freq: 400 }), ...stream({ n: 50, dstPort: 30002, freq: 1000, ssrc: 7 })]);
    // resumed 2 s later: same senders, RTP timestamps continued in real time
    const seg2 = pcap([
      ...stream({ n: 50, dstPort: 30000, freq: 400, startUs: T0 + 3_000_000, seq0: 1150, ts0: 5000 + 150 * 160 }),
      ...stream({ n: 50, dstPort: 30002, freq: 1000, ssrc: 7, startUs: T0 + 3_000_000, seq0: 1150, ts0: 5000 + 150 * 160 }),
    ]);
    const st = await pcapsToStereo([seg2, seg1], { left: LEFT, right: RIGHT, startMs: T0 / 1000 });
    expect(st.durationMs).toBe(4000);
    const part = (a: Int16Array, s: number, e: number) => a.subarray(s * 8000, e * 8000);
    expect(toneRatio(part(st.left, 0, 1), 400)).toBeGreaterThan(0.95);
    expect(part(st.left, 1, 3).every((s) => s === 0)).toBe(true);
    expect(part(st.right, 1, 3).every((s) => s === 0)).toBe(true);
    expect(toneRatio(part(st.left, 3, 4), 400)).toBeGreaterThan(0.95);
    expect(toneRatio(part(st.right, 3, 4), 1000)).toBeGreaterThan(0.95);
  });

  it('anchors each segment on its capture time, so a sender clock running slow cannot shift audio into a pause', async () => {
    // 50 packets captured 25 ms apart but stamped 20 ms apart: 1.0 s media for 1.25 s of wall clock
    const slow = stream({ n: 50, dstPort: 30000, value: () => 1000 }).map((r, k) => ({ ...r, tsUs: T0 + k * 25_000 }));
    const resumed = stream({ n: 25, dstPort: 30000, value: () => -1000, startUs: T0 + 3_000_000, seq0: 1050, ts0: 5000 + 50 * 160 });
    const st = await pcapsToStereo([pcap(slow), pcap(resumed)], { left: LEFT, right: RIGHT, startMs: T0 / 1000 });
    const q = (v: number) => ulawToLinear(linearToUlaw(v));
    expect(st.left[3 * 8000 + 10]).toBe(q(-1000)); // at wall-clock 3.0 s, not at 1.0 s
    expect(st.left.subarray(8000 + 10, 3 * 8000 - 10).every((x) => x === 0)).toBe(true);
  });

  it('re-anchors on a new SSRC by capture time and ignores DTMF events and other ports', async () => {
    const a = stream({ n: 25, dstPort: 30000, value: () => 1000 });
    const b = stream({ n: 25, dstPort: 30000, value: () => -1000, startUs: T0 + 1_000_000, ssrc: 0x9999, ts0: 123, seq0: 5 });
    const dtmf = stream({ n: 5, dstPort: 30000, startUs: T0 + 200_000 }).map((r) => ({ ...r, pt: 101, payload: Buffer.from([5, 10, 0, 160]) }));
    const other = stream({ n: 25, dstPort: 31000, value: () => 5000 });
    const st = await pcapsToStereo([pcap([...a, ...b, ...dtmf, ...other])], { left: LEFT, right: RIGHT, startMs: T0 / 1000 });
    expect(st.left[100]).toBe(ulawToLinear(linearToUlaw(1000)));
    expect(st.left[4000 + 100]).toBe(0); // 0.5..1.0 s: nothing received
    expect(st.left[8000 + 100]).toBe(ulawToLinear(linearToUlaw(-1000)));
    expect(st.left.length).toBe(8000 + 25 * 160);
  });

  it('selects by sender address when ports are unknown', async () => {
    const st = await pcapsToStereo([pcap(stream({ n: 5, dstPort: 30000, value: () => 700 }))], {
      left: { sources: [{ address: '127.0.0.1', port: 40000 }] },
      right: {},
    });
    expect(st.left[10]).toBe(ulawToLinear(linearToUlaw(700)));
  });

  it('writes a stereo 8 kHz 16-bit WAV file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'p2w-'));
    const p = join(dir, 'a.pcap');
    writeFileSync(p, pcap([...stream({ n: 25, dstPort: 30000, freq: 400 }), ...stream({ n: 25, dstPort: 30002, freq: 1000, ssrc: 3 })]));
    const out = join(dir, 'a.wav');
    const r = await convertPcapsToWav([p], out, { left: LEFT, right: RIGHT });
    const wav = decodeWav(readFileSync(out));
    expect(r).toMatchObject({ durationMs: 500, sizeBytes: 44 + 4000 * 4 });
    expect(wav.sampleRate).toBe(8000);
    expect(wav.channels).toHaveLength(2);
    expect(toneRatio(wav.channels[0], 400)).toBeGreaterThan(0.95);
    expect(toneRatio(wav.channels[1], 1000)).toBeGreaterThan(0.95);
  });
});
