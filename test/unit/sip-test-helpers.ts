import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { pino } from 'pino';
import type { SipMessage } from '../../src/sip/engine/message.js';
import { parseMessage, StreamFramer } from '../../src/sip/engine/parser.js';
import { SipStack, type StackOptions } from '../../src/sip/engine/stack.js';
import { freePort } from '../support/ports.js';

export const silentLog = pino({ level: 'silent' });

/** Shrunk RFC timers so retransmission tests take milliseconds (ratios as in RFC 3261). */
export const FAST_TIMERS = { T1: 40, T2: 320, T4: 400 };

export async function startStack(opts: Partial<StackOptions> = {}): Promise<SipStack> {
  const port = await freePort();
  const s = new SipStack({ host: '127.0.0.1', port, log: silentLog, ...opts });
  await s.start();
  return s;
}

export interface RequestSpec {
  method: string;
  uri?: string;
  transport?: 'UDP' | 'TCP';
  viaPort: number;
  branch?: string;
  callId?: string;
  fromTag?: string;
  toTag?: string;
  cseq?: number;
  cseqMethod?: string;
  extra?: string[];
  body?: string;
}

/** A wire-format request as a peer would send it (for driving the stack from raw sockets). */
export function rawRequest(r: RequestSpec): string {
  const body = r.body ?? '';
  const lines = [
    `${r.method} ${r.uri ?? 'sip:svc@127.0.0.1'} SIP/2.0`,
    `Via: SIP/2.0/${r.transport ?? 'UDP'} 127.0.0.1:${r.viaPort};branch=${r.branch ?? 'z9hG4bK-' + Math.random().toString(36).slice(2)};rport`,
    'Max-Forwards: 70',
    `From: <sip:peer@127.0.0.1>;tag=${r.fromTag ?? 'ft1'}`,
    `To: <sip:svc@127.0.0.1>${r.toTag ? `;tag=${r.toTag}` : ''}`,
    `Call-ID: ${r.callId ?? 'cid-' + Math.random().toString(36).slice(2)}`,
    `CSeq: ${r.cseq ?? 1} ${r.cseqMethod ?? r.method}`,
    ...(r.method === 'INVITE' ? ['Contact: <sip:peer@127.0.0.1>'] : []),
    ...(r.extra ?? []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ];
  return lines.join('\r\n');
}

/** Collects parsed messages and lets a test wait for the next one matching a predicate. */
class Inbox {
  readonly all: SipMessage[] = [];
  private waiters: { pred: (m: SipMessage) => boolean; resolve: (m: SipMessage) => void }[] = [];
  private cursor = 0;

  push(m: SipMessage): void {
    this.all.push(m);
    for (const w of [...this.waiters]) {
      if (w.pred(m)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
        return;
      }
    }
  }

  /** The next message (after those already returned) that matches. */
  next(pred: (m: SipMessage) => boolean = () => true, timeoutMs = 3000): Promise<SipMessage> {
    for (let i = this.cursor; i < this.all.length; i++) {
      if (pred(this.all[i])) {
        this.cursor = i + 1;
        return Promise.resolve(this.all[i]);
      }
    }
    this.cursor = this.all.length;
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (m: SipMessage) => {
          clearTimeout(t);
          this.cursor = this.all.length;
          resolve(m);
        },
      };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`no matching SIP message within ${timeoutMs} ms; got:\n${this.all.map((m) => (m.kind === 'request' ? m.method : m.status)).join(' ')}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  count(pred: (m: SipMessage) => boolean): number {
    return this.all.filter(pred).length;
  }
}

/** A raw UDP SIP peer on loopback (no stack), to observe exactly what goes on the wire. */
export class UdpPeer extends Inbox {
  private constructor(
    private readonly sock: UdpSocket,
    readonly port: number,
  ) {
    super();
    sock.on('message', (b) => {
      try {
        this.push(parseMessage(b));
      } catch {
        /* tests only look at parsable messages */
      }
    });
  }

  static async open(): Promise<UdpPeer> {
    const port = await freePort();
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(port, '127.0.0.1', () => r()));
    return new UdpPeer(sock, port);
  }

  send(data: string | Buffer, port: number): Promise<void> {
    return new Promise((resolve, reject) => this.sock.send(typeof data === 'string' ? Buffer.from(data) : data, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  }

  close(): Promise<void> {
    return new Promise((r) => this.sock.close(() => r()));
  }
}

/** A raw TCP SIP peer: one connection to the stack, messages framed by StreamFramer. */
export class TcpPeer extends Inbox {
  private constructor(readonly socket: Socket) {
    super();
    const framer = new StreamFramer({ onError: () => {} });
    socket.on('data', (c: Buffer) => {
      for (const m of framer.push(c)) this.push(m);
    });
    socket.on('error', () => {});
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  static async connect(port: number): Promise<TcpPeer> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    return new TcpPeer(socket);
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  closed(): Promise<void> {
    return new Promise((r) => (this.socket.destroyed ? r() : this.socket.once('close', () => r())));
  }

  close(): void {
    this.socket.destroy();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `cond` holds (for state that settles after timers). */
export async function eventually(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}
