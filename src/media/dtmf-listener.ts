import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from 'pino';

/** One RFC 2833 key press as rtpengine reports it to --dtmf-log-dest. */
export interface DtmfEvent {
  callId: string;
  /** rtpengine tag of the participant that pressed the key. */
  sourceTag: string;
  digit: string;
  durationMs: number;
  volume?: number;
  receivedAt: number;
}

export type DtmfHandler = (e: DtmfEvent) => void;

const DIGITS = '0123456789*#ABCD';

/** Parses one datagram: `{"callid","source_tag","type":"DTMF","event":5,"duration":200,...}`; undefined if not a digit. */
export function parseDtmfDatagram(buf: Buffer | string, receivedAt = Date.now()): DtmfEvent | undefined {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(buf.toString()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (o.type !== undefined && o.type !== 'DTMF') return undefined;
  const ev = Number(o.event);
  if (typeof o.callid !== 'string' || !Number.isInteger(ev) || ev < 0 || ev >= DIGITS.length) return undefined;
  return {
    callId: o.callid,
    sourceTag: typeof o.source_tag === 'string' ? o.source_tag : '',
    digit: DIGITS[ev],
    durationMs: Number(o.duration ?? 0),
    ...(o.volume !== undefined ? { volume: Number(o.volume) } : {}),
    receivedAt,
  };
}

export interface DtmfListenerOptions {
  host?: string;
  port: number;
  log?: Logger;
  /**
   * rtpengine 10.5 sends one datagram per key press (measured), but a retransmitted or duplicated
   * datagram must not become a second digit: identical reports within this window are dropped.
   */
  dedupWindowMs?: number;
}

/** The process-wide receiver of rtpengine's DTMF feed, dispatching by call-id (and optionally source tag). */
export class DtmfListener {
  private socket?: Socket;
  private readonly subs = new Map<string, Set<{ tag?: string; handler: DtmfHandler }>>();
  private readonly last = new Map<string, { key: string; at: number }>();
  private readonly window: number;

  constructor(private readonly o: DtmfListenerOptions) {
    this.window = o.dedupWindowMs ?? 40;
  }

  async start(): Promise<void> {
    if (this.socket) return;
    const s = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(this.o.port, this.o.host ?? '127.0.0.1', () => {
        s.off('error', reject);
        resolve();
      });
    });
    s.on('error', (err) => this.o.log?.error({ err }, 'DTMF listener socket error'));
    s.on('message', (msg) => this.onDatagram(msg));
    this.socket = s;
  }

  get port(): number {
    return this.socket ? (this.socket.address() as { port: number }).port : this.o.port;
  }

  /** Digits of one rtpengine call (all participants, or one tag). Returns the unsubscribe function. */
  subscribe(callId: string, handler: DtmfHandler, tag?: string): () => void {
    let set = this.subs.get(callId);
    if (!set) this.subs.set(callId, (set = new Set()));
    const entry = { tag, handler };
    set.add(entry);
    return () => {
      const s = this.subs.get(callId);
      if (!s) return;
      s.delete(entry);
      if (s.size === 0) {
        this.subs.delete(callId);
        this.last.delete(callId);
      }
    };
  }

  /** Exposed for unit tests; the socket feeds it. */
  onDatagram(msg: Buffer | string, now = Date.now()): void {
    const e = parseDtmfDatagram(msg, now);
    if (!e) {
      this.o.log?.debug({ msg: msg.toString().slice(0, 200) }, 'ignored non-DTMF datagram');
      return;
    }
    const key = `${e.sourceTag}|${e.digit}|${e.durationMs}|${msg.toString()}`;
    const prev = this.last.get(e.callId);
    if (prev && prev.key === key && now - prev.at < this.window) return;
    this.last.set(e.callId, { key, at: now });
    const set = this.subs.get(e.callId);
    if (!set) return;
    for (const s of [...set]) {
      if (s.tag && s.tag !== e.sourceTag) continue;
      try {
        s.handler(e);
      } catch (err) {
        this.o.log?.error({ err, callId: e.callId }, 'DTMF handler threw');
      }
    }
  }

  async stop(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    this.subs.clear();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}
