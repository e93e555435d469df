import { readFile, writeFile, rename } from 'node:fs/promises';
import { decodeG711 } from './g711.js';
import { wavHeader } from '../media/wav.js';

/**
 * rtpengine's pcap recordings (--recording-method=pcap) -> stereo WAV.
 * The pcap holds every RTP packet rtpengine *received* for the call as a raw IPv4/IPv6 datagram
 * (link type 101): source = the phone, destination = rtpengine's local port for that leg. One file per
 * recording segment (a stop/start for a pause gives a new file). Each packet is placed on a common
 * timeline by RTP timestamp within a stream, anchored on the capture time of the stream's first packet,
 * so reordering is undone, lost packets and paused periods become silence, and both channels line up.
 */

export interface PcapPacket {
  /** Capture time, microseconds since the epoch. */
  tsUs: number;
  data: Buffer;
}

export interface UdpDatagram {
  tsUs: number;
  src: { address: string; port: number };
  dst: { address: string; port: number };
  payload: Buffer;
}

export interface RtpPacket {
  tsUs: number;
  payloadType: number;
  seq: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
  /** Index of the pcap segment (recording resumed after a pause = a new segment). */
  segment?: number;
}

/** Which packets belong to a channel: by rtpengine's local (destination) port, or the sender's address. */
export interface ChannelSelector {
  dstPorts?: number[];
  sources?: { address: string; port: number }[];
  /** Takes every packet the other channel's selector did not claim (crash recovery knows only one leg). */
  rest?: boolean;
}

export interface PcapToWavOptions {
  left: ChannelSelector;
  right: ChannelSelector;
  /** Timeline origin (ms since epoch); default: the first audio packet. */
  startMs?: number;
  sampleRate?: 8000;
}

export interface StereoPcm {
  left: Int16Array;
  right: Int16Array;
  startMs: number;
  durationMs: number;
}

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const LINKTYPE_IPV4 = 228;
const LINKTYPE_LINUX_SLL = 113;

/** Header of a pcap file and a lazy iterator over its records (a partial last record ends the iteration). */
export function openPcap(buf: Buffer): { linkType: number; records: () => Generator<PcapPacket> } {
  if (buf.length < 24) throw new Error('pcap too short');
  const magic = buf.readUInt32LE(0);
  const formats: Record<number, { le: boolean; nanos: boolean }> = {
    0xa1b2c3d4: { le: true, nanos: false },
    0xd4c3b2a1: { le: false, nanos: false },
    0xa1b23c4d: { le: true, nanos: true },
    0x4d3cb2a1: { le: false, nanos: true },
  };
  const f = formats[magic];
  if (!f) throw new Error(`not a pcap file (magic ${magic.toString(16)})`);
  const { le, nanos } = f;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20) & 0xffff;
  function* records(): Generator<PcapPacket> {
    let off = 24;
    while (off + 16 <= buf.length) {
      const sec = u32(off);
      const frac = u32(off + 4);
      const incl = u32(off + 8);
      if (off + 16 + incl > buf.length) return;
      yield { tsUs: sec * 1e6 + (nanos ? Math.floor(frac / 1000) : frac), data: buf.subarray(off + 16, off + 16 + incl) };
      off += 16 + incl;
    }
  }
  return { linkType, records };
}

export function parsePcap(buf: Buffer): { linkType: number; packets: PcapPacket[] } {
  const p = openPcap(buf);
  return { linkType: p.linkType, packets: [...p.records()] };
}

/** UDP datagram inside a link-layer frame, or undefined (non-IP, non-UDP, fragments). */
export function udpFromFrame(linkType: number, frame: Buffer, tsUs = 0): UdpDatagram | undefined {
  let ip = frame;
  if (linkType === LINKTYPE_ETHERNET) {
    if (frame.length < 14) return undefined;
    const etherType = frame.readUInt16BE(12);
    if (etherType !== 0x0800 && etherType !== 0x86dd) return undefined;
    ip = frame.subarray(14);
  } else if (linkType === LINKTYPE_LINUX_SLL) {
    ip = frame.subarray(16);
  } else if (linkType !== LINKTYPE_RAW && linkType !== LINKTYPE_IPV4) return undefined;
  if (ip.length < 20) return undefined;
  const version = ip[0] >> 4;
  let udp: Buffer;
  let src: string;
  let dst: string;
  if (version === 4) {
    const ihl = (ip[0] & 0x0f) * 4;
    if (ip[9] !== 17) return undefined;
    const fragOffset = ip.readUInt16BE(6) & 0x1fff;
    if (fragOffset !== 0) return undefined;
    src = `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
    dst = `${ip[16]}.${ip[17]}.${ip[18]}.${ip[19]}`;
    udp = ip.subarray(ihl, Math.min(ip.length, ip.readUInt16BE(2) || ip.length));
  } else if (version === 6) {
    if (ip.length < 48 || ip[6] !== 17) return undefined;
    const hex = (b: Buffer) => Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16)).join(':');
    src = hex(ip.subarray(8, 24));
    dst = hex(ip.subarray(24, 40));
    udp = ip.subarray(40);
  } else return undefined;
  if (udp.length < 8) return undefined;
  const len = udp.readUInt16BE(4);
  return {
    tsUs,
    src: { address: src, port: udp.readUInt16BE(0) },
    dst: { address: dst, port: udp.readUInt16BE(2) },
    payload: udp.subarray(8, len >= 8 && len <= udp.length ? len : udp.length),
  };
}

export function parseRtp(payload: Buffer, tsUs = 0): RtpPacket | undefined {
  if (payload.length < 12 || payload[0] >> 6 !== 2) return undefined;
  const pt = payload[1] & 0x7f;
  if (pt >= 72 && pt <= 76) return undefined; // RTCP on a muxed port
  const cc = payload[0] & 0x0f;
  let off = 12 + cc * 4;
  if (payload[0] & 0x10) {
    if (payload.length < off + 4) return undefined;
    off += 4 + payload.readUInt16BE(off + 2) * 4;
  }
  let end = payload.length;
  if (payload[0] & 0x20) end -= payload[payload.length - 1];
  if (off > end) return undefined;
  return {
    tsUs,
    payloadType: pt,
    seq: payload.readUInt16BE(2),
    timestamp: payload.readUInt32BE(4),
    ssrc: payload.readUInt32BE(8),
    payload: payload.subarray(off, end),
  };
}

function matches(sel: ChannelSelector, d: UdpDatagram): boolean {
  if (sel.dstPorts?.includes(d.dst.port)) return true;
  return sel.sources?.some((s) => s.port === d.src.port && s.address === d.src.address) ?? false;
}

/**
 * Renders both channels of one call from its pcap segment buffers. Async only to yield to the event loop
 * every few thousand packets: an hour-long call is ~360k packets and several seconds of CPU.
 */

/** Lets the event loop run (SIP, media control) while a long recording is converted. */
const breathe = () => new Promise<void>((r) => setImmediate(r));
const SLICE = 5_000;

/** Samples of one channel's packets on the shared timeline starting at originUs. */
async function renderChannel(packets: RtpPacket[], originUs: number, rate: number): Promise<Int16Array> {
  const audio = packets.filter((p) => p.payloadType === 0 || p.payloadType === 8).sort((a, b) => a.tsUs - b.tsUs);
  // runs: consecutive packets (in capture order) of one SSRC without a long silence gap
  const runs: RtpPacket[][] = [];
  for (const p of audio) {
    const run = runs[runs.length - 1];
    const prev = run?.[run.length - 1];
    // a new run (re-anchored on capture time) per SSRC, per recording segment and after 2 s without packets
    if (run && prev && prev.ssrc === p.ssrc && prev.segment === p.segment && p.tsUs - prev.tsUs < 2_000_000) run.push(p);
    else runs.push([p]);
  }
  let out = new Int16Array(0);
  const ensure = (n: number) => {
    if (n <= out.length) return;
    const grown = new Int16Array(Math.max(n, out.length * 2));
    grown.set(out);
    out = grown;
  };
  let used = 0;
  for (const run of runs) {
    // undo reordering: sort by extended sequence number
    let extSeq = run[0].seq;
    const withSeq = run.map((p, i) => {
      if (i > 0) {
        const d = ((p.seq - (extSeq & 0xffff) + 0x8000) & 0xffff) - 0x8000;
        extSeq += d;
      }
      return { p, ext: extSeq };
    });
    withSeq.sort((a, b) => a.ext - b.ext);
    const anchor = withSeq.reduce((best, x) => (x.p.tsUs < best.p.tsUs ? x : best), withSeq[0]);
    const anchorSample = Math.max(0, Math.round(((anchor.p.tsUs - originUs) * rate) / 1e6));
    let extTs = 0;
    let prevTs = withSeq[0].p.timestamp;
    const offsets = withSeq.map((x, i) => {
      if (i > 0) extTs += ((x.p.timestamp - prevTs) | 0);
      prevTs = x.p.timestamp;
      return extTs;
    });
    const anchorTs = offsets[withSeq.indexOf(anchor)];
    let lastSeq = Number.NaN;
    for (let i = 0; i < withSeq.length; i++) {
      if (i % SLICE === SLICE - 1) await breathe();
      const x = withSeq[i];
      if (x.ext === lastSeq) continue; // duplicate
      lastSeq = x.ext;
      const pos = anchorSample + offsets[i] - anchorTs;
      if (pos < 0) continue;
      ensure(pos + x.p.payload.length);
      decodeG711(x.p.payloadType as 0 | 8, x.p.payload, out, pos);
      used = Math.max(used, pos + x.p.payload.length);
    }
  }
  return out.subarray(0, used);
}

export async function pcapsToStereo(pcaps: Buffer[], opts: PcapToWavOptions): Promise<StereoPcm> {
  const rate = opts.sampleRate ?? 8000;
  const left: RtpPacket[] = [];
  const right: RtpPacket[] = [];
  for (const [segment, buf] of pcaps.entries()) {
    const { linkType, records } = openPcap(buf);
    let i = 0;
    for (const pk of records()) {
      if (++i % SLICE === 0) await breathe();
      const d = udpFromFrame(linkType, pk.data, pk.tsUs);
      if (!d) continue;
      const side = matches(opts.left, d) ? left : matches(opts.right, d) ? right : opts.left.rest ? left : opts.right.rest ? right : undefined;
      if (!side) continue;
      const rtp = parseRtp(d.payload, pk.tsUs);
      if (rtp) side.push({ ...rtp, segment });
    }
  }
  let firstUs = Infinity;
  for (const p of [left, right].flat()) if ((p.payloadType === 0 || p.payloadType === 8) && p.tsUs < firstUs) firstUs = p.tsUs;
  const originUs = opts.startMs !== undefined ? opts.startMs * 1000 : Number.isFinite(firstUs) ? firstUs : 0;
  const l = await renderChannel(left, originUs, rate);
  await breathe();
  const r = await renderChannel(right, originUs, rate);
  await breathe();
  const n = Math.max(l.length, r.length);
  const pad = (a: Int16Array) => {
    if (a.length === n) return a;
    const b = new Int16Array(n);
    b.set(a);
    return b;
  };
  return { left: pad(l), right: pad(r), startMs: Math.round(originUs / 1000), durationMs: Math.round((n * 1000) / rate) };
}

/** Reads the pcap segments, writes the stereo WAV (atomically via a temp file) and returns its facts. */
export async function convertPcapsToWav(
  pcapPaths: string[],
  outPath: string,
  opts: PcapToWavOptions,
): Promise<{ durationMs: number; sizeBytes: number; startMs: number }> {
  const bufs = await Promise.all(pcapPaths.map((p) => readFile(p)));
  const pcm = await pcapsToStereo(bufs, opts);
  const n = pcm.left.length;
  const wav = Buffer.alloc(44 + n * 4);
  wavHeader({ channels: 2, sampleRate: opts.sampleRate ?? 8000, dataBytes: n * 4 }).copy(wav, 0);
  const view = new Int16Array(wav.buffer, wav.byteOffset + 44, n * 2);
  for (let i = 0; i < n; i++) {
    if (i % 400_000 === 399_999) await breathe();
    view[2 * i] = pcm.left[i];
    view[2 * i + 1] = pcm.right[i];
  }
  const tmp = `${outPath}.part`;
  await writeFile(tmp, wav);
  await rename(tmp, outPath);
  return { durationMs: pcm.durationMs, sizeBytes: wav.length, startMs: pcm.startMs };
}
