import { createSocket, type Socket } from 'node:dgram';
import { decodeG711, linearToUlaw, linearToAlaw } from '../../src/recording/g711.js';

/** A fake phone's media side: one UDP socket that sends G.711 tones / RFC 2833 digits and keeps what it receives. */

export interface ReceivedRtp {
  at: number;
  pt: number;
  seq: number;
  ts: number;
  ssrc: number;
  payload: Buffer;
  /** Sender's port (rtpengine's local port for this leg, with symmetric RTP). */
  fromPort: number;
}

export class RtpPeer {
  readonly received: ReceivedRtp[] = [];
  private seq = Math.floor(Math.random() * 60000);
  private ts = Math.floor(Math.random() * 1e9);
  private readonly ssrc = Math.floor(Math.random() * 0xffffffff) >>> 0;
  private timers = new Set<NodeJS.Timeout>();
  private phase = 0;
  remote?: { host: string; port: number };

  private constructor(readonly socket: Socket, readonly port: number) {
    socket.on('message', (msg, rinfo) => {
      if (msg.length < 12 || msg[0] >> 6 !== 2) return;
      const cc = msg[0] & 0x0f;
      this.received.push({
        at: Date.now(),
        pt: msg[1] & 0x7f,
        seq: msg.readUInt16BE(2),
        ts: msg.readUInt32BE(4),
        ssrc: msg.readUInt32BE(8),
        payload: msg.subarray(12 + cc * 4),
        fromPort: rinfo.port,
      });
    });
  }

  static async open(port = 0): Promise<RtpPeer> {
    const s = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(port, '127.0.0.1', () => resolve());
    });
    return new RtpPeer(s, (s.address() as { port: number }).port);
  }

  /** Plain SDP for this peer (PCMU/PCMA + telephone-event 101). */
  sdp(opts: { codecs?: ('PCMU' | 'PCMA')[]; sessionId?: number } = {}): string {
    const codecs = opts.codecs ?? ['PCMU'];
    const pts = codecs.map((c) => (c === 'PCMU' ? 0 : 8));
    const id = opts.sessionId ?? this.port;
    return [
      'v=0', `o=- ${id} ${id} IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
      `m=audio ${this.port} RTP/AVP ${[...pts, 101].join(' ')}`,
      ...codecs.map((c, i) => `a=rtpmap:${pts[i]} ${c}/8000`),
      'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20', 'a=sendrecv', '',
    ].join('\r\n');
  }

  /** Points the peer at the media address in an SDP (the rtpengine side). */
  target(sdp: string): void {
    const host = /c=IN IP4 (\S+)/.exec(sdp)?.[1];
    const port = /m=audio (\d+)/.exec(sdp)?.[1];
    if (!host || !port) throw new Error(`no media address in SDP:\n${sdp}`);
    this.remote = { host, port: Number(port) };
  }

  private packet(pt: number, payload: Buffer, marker = false, ts = this.ts): Buffer {
    const h = Buffer.alloc(12);
    h[0] = 0x80;
    h[1] = (marker ? 0x80 : 0) | pt;
    h.writeUInt16BE(this.seq, 2);
    this.seq = (this.seq + 1) & 0xffff;
    h.writeUInt32BE(ts >>> 0, 4);
    h.writeUInt32BE(this.ssrc, 8);
    return Buffer.concat([h, payload]);
  }

  private send(buf: Buffer): void {
    if (!this.remote) throw new Error('RtpPeer has no remote');
    this.socket.send(buf, this.remote.port, this.remote.host);
  }

  /** Sends a sine tone as 20 ms G.711 packets until stopped (or for durationMs). */
  startTone(freq: number, opts: { amplitude?: number; codec?: 'PCMU' | 'PCMA'; durationMs?: number } = {}): () => void {
    const amp = opts.amplitude ?? 8000;
    const pt = opts.codec === 'PCMA' ? 8 : 0;
    const enc = pt === 0 ? linearToUlaw : linearToAlaw;
    const t = setInterval(() => {
      const payload = Buffer.alloc(160);
      for (let i = 0; i < 160; i++) {
        payload[i] = enc(amp * Math.sin(this.phase));
        this.phase += (2 * Math.PI * freq) / 8000;
      }
      this.send(this.packet(pt, payload));
      this.ts = (this.ts + 160) >>> 0;
    }, 20);
    this.timers.add(t);
    const stop = () => {
      clearInterval(t);
      this.timers.delete(t);
    };
    if (opts.durationMs) setTimeout(stop, opts.durationMs).unref();
    return stop;
  }

  /** One RFC 2833 key press: start packets every 20 ms for durationMs, then three end packets (as phones do). */
  async sendDigit(digit: string, durationMs = 100): Promise<void> {
    const event = '0123456789*#ABCD'.indexOf(digit.toUpperCase());
    if (event < 0) throw new Error(`bad DTMF digit ${digit}`);
    const startTs = this.ts;
    const steps = Math.max(1, Math.round(durationMs / 20));
    for (let i = 1; i <= steps; i++) {
      const p = Buffer.from([event, 10, 0, 0]);
      p.writeUInt16BE(i * 160, 2);
      this.send(this.packet(101, p, i === 1, startTs));
      await new Promise((r) => setTimeout(r, 20));
    }
    for (let i = 0; i < 3; i++) {
      const p = Buffer.from([event, 0x80 | 10, 0, 0]);
      p.writeUInt16BE(steps * 160, 2);
      this.send(this.packet(101, p, false, startTs));
    }
    this.ts = (this.ts + steps * 160 + 160) >>> 0;
  }

  /** Decoded audio of the G.711 packets received since `sinceMs` (arrival order). */
  audio(sinceMs = 0): Int16Array {
    const pkts = this.received.filter((p) => p.at >= sinceMs && (p.pt === 0 || p.pt === 8));
    const out = new Int16Array(pkts.reduce((n, p) => n + p.payload.length, 0));
    let off = 0;
    for (const p of pkts) off += decodeG711(p.pt as 0 | 8, p.payload, out, off);
    return out;
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
    try {
      this.socket.close();
    } catch {
      /* closed */
    }
  }
}

/** Relative power of `freq` in the samples (Goertzel), normalised by total energy: ~1 for a pure tone, ~0 when absent. */
export function toneRatio(samples: Int16Array | Float64Array, freq: number, rate = 8000): number {
  if (samples.length === 0) return 0;
  const k = (2 * Math.PI * freq) / rate;
  const coeff = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (let i = 0; i < samples.length; i++) {
    const s0 = samples[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
    energy += samples[i] * samples[i];
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return energy === 0 ? 0 : power / (energy * samples.length / 2);
}

export function rms(samples: Int16Array | Float64Array): number {
  if (!samples.length) return 0;
  let e = 0;
  for (let i = 0; i < samples.length; i++) e += samples[i] * samples[i];
  return Math.sqrt(e / samples.length);
}
