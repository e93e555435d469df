import { createServer, type Server, type Socket } from 'node:net';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { encodeFrame, FrameDecoder, splitPayload } from './control-framing.js';

/** Reported at authentication; drachtio-srf pings servers reporting v0.8.2 or later. */
export const ENGINE_VERSION = 'v0.9.10';

/** One connected drachtio-srf application. */
export class AppConnection {
  readonly id = randomUUID();
  authenticated = false;
  tags: string[] = [];
  readonly routes = new Set<string>();
  closed = false;

  constructor(
    private readonly socket: Socket,
    readonly remote: string,
  ) {}

  /** Sends a server-originated message (`<uuid>|<payload>`); returns the message id. */
  send(payload: string): string {
    const id = randomUUID();
    this.write(`${id}|${payload}`);
    return id;
  }

  /** Answers the app's message `msgId`: `<uuid>|response|<msgId>|<body>`. */
  reply(msgId: string, body: string): void {
    this.write(`${randomUUID()}|response|${msgId}|${body}`);
  }

  nok(msgId: string, reason: string): void {
    // '|' and CR/LF would break the meta line
    this.reply(msgId, `NOK|${reason.replace(/[|\r\n]+/g, ' ')}`);
  }

  private corked = false;

  private write(s: string): void {
    if (this.closed || this.socket.destroyed) return;
    // frames written in the same tick leave in one syscall (profiling showed per-frame writes dominate)
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(encodeFrame(s));
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

/** What the server needs from the SIP side (implemented by the agent). */
export interface ControlHandler {
  /** `sip|<txnId>|<dialogId>[|<proxy>]` + CRLF + partial SIP. Throwing answers NOK with the error text. */
  onSip(conn: AppConnection, msgId: string, tokens: string[], sip: string | undefined): void;
  /** `proxy|<txnId>|...` + CRLF + partial SIP. */
  onProxy(conn: AppConnection, msgId: string, tokens: string[], sip: string | undefined): void;
  onDisconnect(conn: AppConnection): void;
  /** `udp/127.0.0.1:5060,tcp/127.0.0.1:5060` style list for the authenticate reply. */
  hostports(): string;
}

export interface ControlServerOptions {
  host: string;
  port: number;
  secret: string;
  log: Logger;
  handler: ControlHandler;
}

/** TCP server speaking the drachtio control protocol to drachtio-srf applications. */
export class ControlServer {
  private server: Server | null = null;
  private readonly conns = new Set<AppConnection>();
  private readonly sockets = new Set<Socket>();
  private readonly rr = new Map<string, number>();
  private readonly log: Logger;

  constructor(private readonly opts: ControlServerOptions) {
    this.log = opts.log.child({ component: 'control' });
  }

  async start(): Promise<number> {
    const server = createServer((socket) => this.onConnection(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err }, 'control server error'));
    return (server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Authenticated apps that registered `verb`, e.g. 'invite' or 'cdr:stop'. */
  appsFor(verb: string): AppConnection[] {
    const out: AppConnection[] = [];
    for (const c of this.conns) if (c.authenticated && !c.closed && c.routes.has(verb)) out.push(c);
    return out;
  }

  /** Round-robin choice among the apps that registered `verb`. */
  pickApp(verb: string): AppConnection | undefined {
    const apps = this.appsFor(verb);
    if (apps.length === 0) return undefined;
    const n = (this.rr.get(verb) ?? 0) % apps.length;
    this.rr.set(verb, n + 1);
    return apps[n];
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  private onConnection(socket: Socket): void {
    socket.setNoDelay(true);
    const conn = new AppConnection(socket, `${socket.remoteAddress}:${socket.remotePort}`);
    this.conns.add(conn);
    this.sockets.add(socket);
    const log = this.log.child({ app: conn.remote });
    log.debug('app connected');
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      let payloads: string[];
      try {
        payloads = decoder.push(chunk);
      } catch (err) {
        // the stream cannot be re-synchronised after a bad length prefix
        log.warn({ err: (err as Error).message }, 'bad control framing; closing connection');
        conn.close();
        return;
      }
      for (const p of payloads) this.onMessage(conn, p, log);
    });
    socket.on('error', (err) => log.debug({ err: err.message }, 'control socket error'));
    socket.on('close', () => {
      conn.closed = true;
      this.conns.delete(conn);
      this.sockets.delete(socket);
      log.debug('app disconnected');
      try {
        this.opts.handler.onDisconnect(conn);
      } catch (err) {
        log.error({ err }, 'disconnect handling failed');
      }
    });
  }

  private onMessage(conn: AppConnection, payload: string, log: Logger): void {
    const { tokens, sip } = splitPayload(payload);
    const msgId = tokens[0] ?? '';
    const type = tokens[1];
    if (!msgId || !type) {
      conn.nok(msgId || 'unknown', 'malformed message');
      return;
    }
    try {
      if (type === 'authenticate') return this.authenticate(conn, msgId, tokens, log);
      if (!conn.authenticated) return conn.nok(msgId, 'not authenticated');
      switch (type) {
        case 'ping':
          return conn.reply(msgId, 'OK|pong');
        case 'route':
        case 'remove_route': {
          const verb = (tokens[2] ?? '').trim().toLowerCase();
          if (!verb) return conn.nok(msgId, `${type} requires a verb`);
          if (type === 'route') conn.routes.add(verb);
          else conn.routes.delete(verb);
          log.debug({ verb, type }, 'route change');
          return conn.reply(msgId, 'OK');
        }
        case 'sip':
          return this.opts.handler.onSip(conn, msgId, tokens, sip);
        case 'proxy':
          return this.opts.handler.onProxy(conn, msgId, tokens, sip);
        default:
          return conn.nok(msgId, `unknown message type ${type}`);
      }
    } catch (err) {
      log.warn({ err: (err as Error).message, type }, 'control message rejected');
      conn.nok(msgId, (err as Error).message || 'error');
    }
  }

  private authenticate(conn: AppConnection, msgId: string, tokens: string[], log: Logger): void {
    const given = Buffer.from(tokens[2] ?? '', 'utf8');
    const want = Buffer.from(this.opts.secret, 'utf8');
    const ok = given.length === want.length && timingSafeEqual(given, want);
    if (!ok) {
      log.warn('app failed to authenticate');
      conn.nok(msgId, 'authentication failed');
      return;
    }
    conn.authenticated = true;
    conn.tags = (tokens[3] ?? '').split(',').filter(Boolean);
    const hp = this.opts.handler.hostports();
    conn.reply(msgId, `OK|${hp}|${ENGINE_VERSION}|${hp}`);
    log.info({ tags: conn.tags }, 'app authenticated');
  }
}
