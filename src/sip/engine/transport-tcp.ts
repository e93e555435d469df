import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Endpoint, SipMessage } from './message.js';
import { StreamFramer, type SipParseError } from './parser.js';

export interface TcpTransportOptions {
  host: string;
  port: number;
  log: Logger;
  onMessage: (msg: SipMessage, source: Endpoint) => void;
  /** A message that did not parse; `fatal` means the stream lost its framing and will be closed. */
  onParseError: (err: SipParseError, source: Endpoint, fatal: boolean) => void;
  /** Connections without traffic for this long are closed (default 10 min). */
  idleTimeoutMs?: number;
  /** Inbound + outbound connections (default 10000). */
  maxConnections?: number;
  /** A peer that stops reading is cut off when this much is queued for it (default 4 MB). */
  maxQueuedBytes?: number;
}

const normalizeAddress = (a: string | undefined): string => (a && a.startsWith('::ffff:') ? a.slice(7) : (a ?? ''));
const keyOf = (address: string, port: number): string => `${address}:${port}`;

interface Connection {
  socket: Socket;
  /** The remote address:port the socket is connected to. */
  key: string;
  /** Other keys (the peer's Via sent-by) that route to this connection. */
  aliases: Set<string>;
  remote: Endpoint;
  /** Callbacks of writes queued while connecting, told if the connection fails. */
  pendingErrors: ((err: Error) => void)[];
  connected: boolean;
}

/**
 * SIP over TCP: one listening socket plus a table of connections keyed by remote address:port.
 * Responses and requests to a peer reuse its existing connection (inbound ones too: the peer's Via
 * sent-by is aliased to the connection it came in on, RFC 5923 style).
 */
export class TcpTransport {
  private server: Server | undefined;
  private readonly conns = new Map<string, Connection>();
  private readonly idleMs: number;
  private readonly maxConns: number;
  private readonly maxQueued: number;

  constructor(private readonly opts: TcpTransportOptions) {
    this.idleMs = opts.idleTimeoutMs ?? 600_000;
    this.maxConns = opts.maxConnections ?? 10_000;
    this.maxQueued = opts.maxQueuedBytes ?? 4 * 1024 * 1024;
  }

  get port(): number {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : this.opts.port;
  }

  get connectionCount(): number {
    let n = 0;
    for (const [k, c] of this.conns) if (k === c.key) n++;
    return n;
  }

  async start(): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    server.maxConnections = this.maxConns;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.opts.log.warn({ err: err.message }, 'tcp server error'));
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const c of new Set(this.conns.values())) c.socket.destroy();
    this.conns.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  hasConnection(address: string, port: number): boolean {
    const c = this.conns.get(keyOf(address, port));
    return c !== undefined && !c.socket.destroyed;
  }

  /** Routes `address:port` to the connection that `via` (the source of a received message) uses. */
  alias(address: string, port: number, via: Endpoint): void {
    const c = this.conns.get(keyOf(via.address, via.port));
    const k = keyOf(address, port);
    if (!c || k === c.key || this.conns.has(k)) return;
    if (c.aliases.size >= 4) return; // bounded: one peer cannot claim many keys through one socket
    c.aliases.add(k);
    this.conns.set(k, c);
  }

  /** Writes on the existing connection to address:port, or opens one. */
  send(buf: Buffer, address: string, port: number, onErrorCb?: (err: Error) => void): void {
    let told = false;
    const onError = onErrorCb
      ? (err: Error) => {
          if (told) return;
          told = true;
          onErrorCb(err);
        }
      : undefined;
    if (!this.server) {
      onError?.(new Error('tcp transport not started'));
      return;
    }
    let c = this.conns.get(keyOf(address, port));
    if (!c || c.socket.destroyed) c = this.open(address, port);
    if (!c) {
      onError?.(new Error('too many tcp connections'));
      return;
    }
    const conn = c;
    if (conn.socket.writableLength > this.maxQueued) {
      this.opts.log.warn({ peer: conn.key }, 'tcp peer not reading; closing');
      conn.socket.destroy();
      onError?.(new Error('tcp peer not reading'));
      return;
    }
    if (!conn.connected && onError) conn.pendingErrors.push(onError);
    conn.socket.write(buf, (err) => {
      if (err) onError?.(err);
    });
  }

  private accept(socket: Socket): void {
    const remote: Endpoint = { transport: 'tcp', address: normalizeAddress(socket.remoteAddress), port: socket.remotePort ?? 0 };
    const c = this.track(socket, remote);
    c.connected = true;
  }

  private open(address: string, port: number): Connection | undefined {
    if (this.connectionCount >= this.maxConns) return undefined;
    const socket = connect({ host: address, port, localAddress: this.opts.host });
    const c = this.track(socket, { transport: 'tcp', address, port });
    socket.once('connect', () => {
      c.connected = true;
      c.pendingErrors = [];
    });
    return c;
  }

  private track(socket: Socket, remote: Endpoint): Connection {
    const c: Connection = { socket, key: keyOf(remote.address, remote.port), aliases: new Set(), remote, pendingErrors: [], connected: false };
    const old = this.conns.get(c.key);
    if (old && old !== c) this.drop(old);
    this.conns.set(c.key, c);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.setTimeout(this.idleMs, () => socket.destroy());
    const framer = new StreamFramer({
      onError: (err, fatal) => {
        this.opts.onParseError(err, remote, fatal);
        if (fatal) {
          // let a 400 queued by the handler go out, then close
          socket.end();
          setTimeout(() => socket.destroy(), 2000).unref();
        }
      },
    });
    socket.on('data', (chunk: Buffer) => {
      let msgs: SipMessage[];
      try {
        msgs = framer.push(chunk);
      } catch (err) {
        // unreachable with onError set; belt and braces
        this.opts.log.warn({ err: (err as Error).message, peer: c.key }, 'tcp framing failed');
        socket.destroy();
        return;
      }
      for (const m of msgs) this.opts.onMessage(m, remote);
    });
    socket.on('error', (err) => {
      this.opts.log.debug({ err: err.message, peer: c.key }, 'tcp connection error');
      const pending = c.pendingErrors;
      c.pendingErrors = [];
      for (const cb of pending) cb(err);
    });
    socket.on('close', () => {
      const pending = c.pendingErrors;
      c.pendingErrors = [];
      for (const cb of pending) cb(new Error('tcp connection closed'));
      this.drop(c);
    });
    return c;
  }

  private drop(c: Connection): void {
    if (this.conns.get(c.key) === c) this.conns.delete(c.key);
    for (const a of c.aliases) if (this.conns.get(a) === c) this.conns.delete(a);
    if (!c.socket.destroyed) c.socket.destroy();
  }
}
