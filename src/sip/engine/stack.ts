import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { responseTo, type Endpoint, type SipMessage, type Transport } from './message.js';
import { parseMessage, SipParseError } from './parser.js';
import { ClientTransaction } from './transaction-client.js';
import type { TransactionContext } from './transaction-context.js';
import { ServerTransaction } from './transaction-server.js';
import { DEFAULT_TIMERS, type SipTimers } from './timers.js';
import { TcpTransport } from './transport-tcp.js';
import { UdpTransport } from './transport-udp.js';
import { newBranch, newTag, parseUri, parseVia, splitHeaderList, type Via } from './uri.js';

export { ServerTransaction, ClientTransaction };

export interface StackOptions {
  host: string;
  /** 0 picks a free port (the same number for UDP and TCP is not guaranteed then; see `listening`). */
  port: number;
  transports?: Transport[];
  log: Logger;
  /** RFC 3261 timer base values; tests shrink them. */
  timers?: Partial<SipTimers>;
  /** Upper bound on live server + client transactions; new requests beyond it get 503 (default 200000). */
  maxTransactions?: number;
  /** An INVITE without a final response for this long is ended by the stack (default 300 s). */
  maxInviteProceedingMs?: number;
  tcpIdleTimeoutMs?: number;
  tcpMaxConnections?: number;
}

export interface StackStats {
  received: number;
  sent: number;
  parseErrors: number;
  retransmissionsAbsorbed: number;
  strayResponses: number;
}

const MAGIC = 'z9hG4bK';

/**
 * The SIP transport + transaction layers (RFC 3261 17, 18).
 * Events:
 *  'request' (req, txn | null, source): new requests only; txn is null for ACK that no INVITE
 *      server transaction absorbed (ACK for 2xx). INVITE gets 100 Trying from the stack.
 *  'cancel' (inviteTxn, cancel): the stack answered 200 to the CANCEL and 487 to the INVITE.
 *  'parse-error' (err, source): the stack answered 400 when it could.
 *  'stray-response' (res, source): a response matching no client transaction (e.g. a 2xx
 *      retransmitted after Timer M), for the dialog layer to re-ACK.
 */
export class SipStack extends EventEmitter {
  readonly timers: SipTimers;
  readonly stats: StackStats = { received: 0, sent: 0, parseErrors: 0, retransmissionsAbsorbed: 0, strayResponses: 0 };
  private readonly log: Logger;
  private readonly transports: Transport[];
  private udp: UdpTransport | undefined;
  private tcp: TcpTransport | undefined;
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly maxTransactions: number;
  private readonly ctx: TransactionContext;
  private logWindow = { start: 0, count: 0 };
  private started = false;

  constructor(private readonly opts: StackOptions) {
    super();
    this.log = opts.log;
    this.transports = opts.transports ?? ['udp', 'tcp'];
    this.timers = { ...DEFAULT_TIMERS, ...opts.timers };
    this.maxTransactions = opts.maxTransactions ?? 200_000;
    this.ctx = {
      timers: this.timers,
      log: this.log,
      maxInviteProceedingMs: opts.maxInviteProceedingMs ?? 300_000,
      send: (buf, dest, onError) => this.sendRaw(buf, dest, onError),
      responseDestination: (req, source) => this.responseDestination(req, source),
      startClient: (req, dest) => this.startClient(req, dest),
      forget: (txn) => {
        if (txn.kind === 'server') {
          const t = this.servers.get(txn.key);
          if (t === txn) this.servers.delete(txn.key);
        } else {
          const t = this.clients.get(txn.key);
          if (t === txn) this.clients.delete(txn.key);
        }
      },
    };
  }

  async start(): Promise<void> {
    if (this.started) return;
    if (this.transports.includes('udp')) {
      this.udp = new UdpTransport({ host: this.opts.host, port: this.opts.port, log: this.log, onDatagram: (b, s) => this.onDatagram(b, s) });
      await this.udp.start();
    }
    if (this.transports.includes('tcp')) {
      const port = this.opts.port === 0 && this.udp ? this.udp.port : this.opts.port;
      this.tcp = new TcpTransport({
        host: this.opts.host,
        port,
        log: this.log,
        idleTimeoutMs: this.opts.tcpIdleTimeoutMs,
        maxConnections: this.opts.tcpMaxConnections,
        onMessage: (m, s) => this.onMessage(m, s),
        onParseError: (e, s) => this.onParseError(e, s),
      });
      try {
        await this.tcp.start();
      } catch (err) {
        await this.udp?.stop();
        throw err;
      }
    }
    this.started = true;
  }

  async stop(): Promise<void> {
    this.started = false;
    for (const t of [...this.servers.values()]) t.terminate();
    for (const t of [...this.clients.values()]) t.terminate();
    await Promise.all([this.udp?.stop(), this.tcp?.stop()]);
    this.udp = this.tcp = undefined;
  }

  get listening(): Endpoint[] {
    const out: Endpoint[] = [];
    if (this.udp) out.push({ transport: 'udp', address: this.opts.host, port: this.udp.port });
    if (this.tcp) out.push({ transport: 'tcp', address: this.opts.host, port: this.tcp.port });
    return out;
  }

  /** Live transactions (for leak checks and metrics). */
  get transactionCount(): { server: number; client: number } {
    return { server: this.servers.size, client: this.clients.size };
  }

  get tcpConnectionCount(): number {
    return this.tcp?.connectionCount ?? 0;
  }

  /** host:port we listen on for a transport (the sent-by of our Via). */
  hostport(transport: Transport): string {
    const ep = this.listening.find((e) => e.transport === transport);
    if (!ep) throw new Error(`transport ${transport} not enabled`);
    const host = isIP(ep.address) === 6 ? `[${ep.address}]` : ep.address;
    return `${host}:${ep.port}`;
  }

  contactFor(transport: Transport): string {
    return `sip:${this.hostport(transport)}${transport === 'tcp' ? ';transport=tcp' : ''}`;
  }

  /** sip:host[:port][;transport=tcp] -> Endpoint. IP literals and localhost only (no DNS). */
  resolveTarget(uri: string): Endpoint {
    const u = parseUri(uri.trim());
    if (u.scheme !== 'sip') throw new Error(`unsupported URI scheme for routing: ${u.scheme}`);
    const t = (u.params.transport ?? 'udp').toLowerCase();
    if (t !== 'udp' && t !== 'tcp') throw new Error(`unsupported transport ${t}`);
    let host = u.host;
    if (host.toLowerCase() === 'localhost') host = '127.0.0.1';
    if (host.startsWith('[')) host = host.slice(1, -1);
    if (u.params.maddr && isIP(u.params.maddr)) host = u.params.maddr;
    if (!isIP(host)) throw new Error(`cannot resolve ${u.host}: IP literals only`);
    return { transport: t, address: host, port: u.port ?? 5060 };
  }

  /** RFC 3261 18.2.2 with rport (RFC 3581); TCP responses go back on the connection the request used. */
  responseDestination(req: SipMessage, source: Endpoint): Endpoint {
    const top = req.get('Via');
    let via: Via | undefined;
    try {
      via = top ? parseVia(top) : undefined;
    } catch {
      via = undefined;
    }
    if (!via) return source;
    const address = via.params.received || (isIP(via.host) ? via.host : source.address);
    if (source.transport === 'tcp') {
      if (this.tcp?.hasConnection(source.address, source.port)) return source;
      return { transport: 'tcp', address, port: via.port ?? 5060 };
    }
    const rport = via.params.rport ? Number(via.params.rport) : NaN;
    return { transport: 'udp', address, port: Number.isInteger(rport) && rport > 0 ? rport : (via.port ?? 5060) };
  }

  /**
   * Sends a request in a new client transaction: adds our top Via (new branch, rport) and
   * Max-Forwards when missing. The request object is modified (the caller sees the Via it got).
   */
  sendRequest(req: SipMessage, dest: Endpoint): ClientTransaction {
    if (req.kind !== 'request') throw new Error('sendRequest() takes a request');
    if (req.method === 'ACK') throw new Error('ACK is not sent in a transaction: use sendStateless()');
    req.prepend('Via', this.viaFor(dest.transport));
    if (!req.has('Max-Forwards')) req.set('Max-Forwards', '70');
    return this.startClient(req, dest);
  }

  /** ACK for 2xx, 2xx retransmissions, forwarded responses. A request gets our Via unless its top Via is already ours. */
  sendStateless(msg: SipMessage, dest: Endpoint): void {
    if (msg.kind === 'request') {
      const ours = this.isOurVia(msg.get('Via'), dest.transport);
      if (!ours) msg.prepend('Via', this.viaFor(dest.transport));
      if (!msg.has('Max-Forwards')) msg.set('Max-Forwards', '70');
    }
    this.sendRaw(msg.toBuffer(), dest, (err) => this.log.debug({ err: err.message, callId: msg.callId }, 'stateless send failed'));
  }

  private viaFor(transport: Transport): string {
    return `SIP/2.0/${transport.toUpperCase()} ${this.hostport(transport)};branch=${newBranch()};rport`;
  }

  private isOurVia(value: string | undefined, transport: Transport): boolean {
    if (!value) return false;
    try {
      const v = parseVia(value);
      return v.transport === transport.toUpperCase() && `${v.host}:${v.port ?? 5060}` === this.hostport(transport);
    } catch {
      return false;
    }
  }

  private startClient(req: SipMessage, dest: Endpoint): ClientTransaction {
    if (!this.transports.includes(dest.transport) || !this.started) throw new Error(`transport ${dest.transport} not available`);
    const branch = this.topBranch(req);
    const key = `${branch}|${req.method}`;
    const txn = new ClientTransaction(this.ctx, key, req, dest);
    this.clients.set(key, txn);
    txn.start();
    return txn;
  }

  private topBranch(msg: SipMessage): string {
    const top = msg.get('Via');
    if (!top) return '';
    try {
      return parseVia(top).params.branch ?? '';
    } catch {
      return '';
    }
  }

  private sendRaw(buf: Buffer, dest: Endpoint, onError?: (err: Error) => void): void {
    this.stats.sent++;
    if (dest.transport === 'udp') {
      if (!this.udp) throw new Error('udp transport not available');
      this.udp.send(buf, dest.address, dest.port, onError);
    } else {
      if (!this.tcp) throw new Error('tcp transport not available');
      this.tcp.send(buf, dest.address, dest.port, onError);
    }
  }

  private onDatagram(buf: Buffer, source: Endpoint): void {
    // RFC 5626 keep-alives: CRLF (ping) -> answer pong on CRLFCRLF; ignore bare CRLFs
    if (buf.length <= 4 && buf.every((b) => b === 0x0d || b === 0x0a)) {
      if (buf.length === 4) this.udp?.send(Buffer.from('\r\n'), source.address, source.port);
      return;
    }
    let msg: SipMessage;
    try {
      msg = parseMessage(buf);
    } catch (err) {
      this.onParseError(err instanceof SipParseError ? err : new SipParseError(String(err)), source);
      return;
    }
    this.onMessage(msg, source);
  }

  private onParseError(err: SipParseError, source: Endpoint): void {
    this.stats.parseErrors++;
    this.logLimited({ err: err.message, from: `${source.transport}:${source.address}:${source.port}` }, 'malformed SIP message');
    const p = err.partial;
    if (p && p.kind === 'request' && p.method !== 'ACK' && ['Via', 'From', 'To', 'Call-ID', 'CSeq'].every((h) => p.has(h))) {
      try {
        const res = responseTo(p, 400, 'Bad Request', newTag());
        res.add('Warning', `399 ${this.opts.host} "${err.message.replace(/["\\\r\n]/g, '')}"`);
        // straight back to the sender: the Via may be the broken part
        this.sendRaw(res.toBuffer(), source, () => {});
      } catch (e) {
        this.log.debug({ err: (e as Error).message }, '400 not sent');
      }
    }
    try {
      this.emit('parse-error', err, source);
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'parse-error listener threw');
    }
  }

  /** At most 20 warnings per 10 s; the rest at debug (a flood of garbage must not flood the log). */
  private logLimited(obj: Record<string, unknown>, msg: string): void {
    const now = Date.now();
    if (now - this.logWindow.start > 10_000) this.logWindow = { start: now, count: 0 };
    if (++this.logWindow.count <= 20) this.log.warn(obj, msg);
    else this.log.debug(obj, msg);
  }

  private onMessage(msg: SipMessage, source: Endpoint): void {
    this.stats.received++;
    try {
      if (msg.kind === 'request') this.onRequest(msg, source);
      else this.onResponse(msg, source);
    } catch (err) {
      // an upper-layer listener bug must not take the stack down
      this.log.error({ err: (err as Error).message, stack: (err as Error).stack, callId: msg.callId }, 'error handling SIP message');
    }
  }

  /** RFC 3261 17.2.3 matching key; RFC 2543 fallback for branches without the magic cookie. */
  private serverKey(msg: SipMessage, via: Via, method: string): string {
    const branch = via.params.branch;
    const sentBy = `${via.host}:${via.port ?? 5060}`;
    if (branch && branch.startsWith(MAGIC)) return `${branch}|${sentBy}|${method}`;
    return `2543|${msg.callId}|${msg.fromTag ?? ''}|${msg.cseq.seq}|${sentBy}|${branch ?? ''}|${method}`;
  }

  private onRequest(req: SipMessage, source: Endpoint): void {
    const via = this.stampVia(req, source);
    if (source.transport === 'tcp' && this.tcp && isIP(via.host)) this.tcp.alias(via.host, via.port ?? 5060, source);
    const method = req.method;
    if (method === 'ACK') {
      const inv = this.servers.get(this.serverKey(req, via, 'INVITE'));
      if (inv && inv.receiveAck()) {
        this.stats.retransmissionsAbsorbed++;
        return;
      }
      this.emit('request', req, null, source);
      return;
    }
    const key = this.serverKey(req, via, method);
    const existing = this.servers.get(key);
    if (existing) {
      this.stats.retransmissionsAbsorbed++;
      existing.receiveRetransmission();
      return;
    }
    if (this.servers.size + this.clients.size >= this.maxTransactions) {
      this.logLimited({ callId: req.callId }, 'transaction table full; 503');
      this.sendRaw(responseTo(req, 503, 'Service Unavailable', newTag()).toBuffer(), this.responseDestination(req, source), () => {});
      return;
    }
    const txn = new ServerTransaction(this.ctx, key, req, source);
    this.servers.set(key, txn);
    if (method === 'CANCEL') {
      this.onCancel(req, via, txn);
      return;
    }
    if (method === 'INVITE') txn.respond(responseTo(req, 100));
    if (this.listenerCount('request') === 0) {
      txn.respond(responseTo(req, 501));
      return;
    }
    this.emit('request', req, txn, source);
  }

  private onCancel(cancel: SipMessage, via: Via, txn: ServerTransaction): void {
    const inv = this.servers.get(this.serverKey(cancel, via, 'INVITE'));
    if (!inv) {
      txn.respond(responseTo(cancel, 481));
      return;
    }
    txn.respond(responseTo(cancel, 200, 'OK', inv.toTag));
    if (inv.finalSent) return;
    inv.respond(responseTo(inv.request, 487, 'Request Terminated', inv.toTag));
    this.emit('cancel', inv, cancel);
  }

  /** RFC 3261 18.2.1 + RFC 3581: record where the request really came from in its top Via. */
  private stampVia(req: SipMessage, source: Endpoint): Via {
    const top = req.get('Via') as string; // the parser guarantees a Via
    const via = parseVia(top);
    let changed = false;
    if (via.host !== source.address && !(via.host.startsWith('[') && via.host.slice(1, -1) === source.address)) {
      via.params.received = source.address;
      changed = true;
    }
    if ('rport' in via.params && via.params.rport === '') {
      via.params.rport = String(source.port);
      if (!('received' in via.params)) via.params.received = source.address;
      changed = true;
    }
    if (changed) replaceTopVia(req, formatVia(via));
    return via;
  }

  private onResponse(res: SipMessage, source: Endpoint): void {
    const key = `${this.topBranch(res)}|${res.cseq.method}`;
    const txn = this.clients.get(key);
    if (txn) {
      txn.receiveResponse(res);
      return;
    }
    this.stats.strayResponses++;
    this.emit('stray-response', res, source);
  }
}

export function formatVia(v: Via): string {
  let s = `SIP/2.0/${v.transport} ${v.host}${v.port !== undefined ? `:${v.port}` : ''}`;
  for (const [k, val] of Object.entries(v.params)) s += val === '' ? `;${k}` : `;${k}=${val}`;
  return s;
}

function replaceTopVia(msg: SipMessage, value: string): void {
  const i = msg.headers.findIndex((h) => h.name.toLowerCase() === 'via' || h.name.toLowerCase() === 'v');
  if (i < 0) return;
  const h = msg.headers[i];
  const parts = h.value.includes(',') ? splitHeaderList(h.value) : [h.value];
  parts[0] = value;
  msg.headers[i] = { name: h.name, value: parts.join(', ') };
}
