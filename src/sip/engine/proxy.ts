import type { Logger } from 'pino';
import type { Endpoint, SipMessage, Transport } from './message.js';
import { synthesizeResponse } from './synthesize.js';
import type { ClientTransaction, ServerTransaction, SipStack } from './stack.js';
import { parseUri } from './uri.js';
import { stackTime } from './control-framing.js';
import type { AppConnection } from './control-server.js';
import type { CdrEmitter } from './cdr.js';
import { canonicalHeaderName, parsePartial, uriOf, type LocalIdentity } from './complete-message.js';

export interface ProxyDeps {
  stack: SipStack;
  log: Logger;
  local: (t: Transport) => LocalIdentity;
}

export interface ProxyStart {
  conn: AppConnection;
  msgId: string;
  /** `[msgId, 'proxy', txnId, remainInDialog, fullResponse, followRedirects, simultaneous|serial, provTimeout, finalTimeout, ...destinations]` */
  tokens: string[];
  sip: string | undefined;
  req: SipMessage;
  txn: ServerTransaction;
  source: Endpoint;
  cdr: CdrEmitter;
}

/** One proxied server transaction and its client branches. */
interface ProxyJob {
  start: ProxyStart;
  recordRoute: boolean;
  serial: boolean;
  followRedirects: boolean;
  pending: string[];
  branches: Set<ClientTransaction>;
  best?: SipMessage;
  done: boolean;
  extraHeaders: { name: string; value: string }[];
  finalTimer?: NodeJS.Timeout;
}

const PROXY_SKIP_HEADERS = new Set(['via', 'from', 'to', 'call-id', 'cseq', 'content-length', 'max-forwards']);

/**
 * Stateful proxying for `srf.proxyRequest()` (drachtio `proxy|...` messages), plus loose-routing of
 * in-dialog requests that carry our Record-Route when the app asked to remain in the dialog.
 */
export class ProxyCore {
  private readonly jobs = new Map<ServerTransaction, ProxyJob>();

  constructor(private readonly deps: ProxyDeps) {}

  stop(): void {
    for (const j of this.jobs.values()) if (j.finalTimer) clearTimeout(j.finalTimer);
    this.jobs.clear();
  }

  start(s: ProxyStart): void {
    const t = s.tokens;
    const destinations = t.slice(9).filter(Boolean);
    if (destinations.length === 0) throw new Error('proxy requires a destination');
    const extra: { name: string; value: string }[] = [];
    if (s.sip) {
      const partial = parsePartial(s.sip);
      for (const h of partial.headers) if (!PROXY_SKIP_HEADERS.has(h.name.toLowerCase())) extra.push({ name: canonicalHeaderName(h.name), value: h.value });
    }
    const maxFwd = Number(s.req.get('Max-Forwards') ?? '70');
    if (Number.isFinite(maxFwd) && maxFwd <= 0) {
      this.respondUpstream(s, this.local483(s.req));
      s.conn.reply(s.msgId, 'OK|done');
      return;
    }
    const job: ProxyJob = {
      start: s,
      recordRoute: t[3] === 'remainInDialog',
      followRedirects: t[5] === 'followRedirects',
      serial: t[6] !== 'simultaneous',
      pending: destinations,
      branches: new Set(),
      done: false,
      extraHeaders: extra,
    };
    this.jobs.set(s.txn, job);
    if (s.req.method === 'INVITE') s.cdr.attempt('network', s.req);
    const finalMs = parseTimeout(t[8]);
    if (finalMs) job.finalTimer = setTimeout(() => this.guarded(() => this.finish(job, undefined, true)), finalMs);
    if (job.serial) this.nextBranch(job);
    else while (job.pending.length) this.nextBranch(job);
  }

  /** CANCEL from upstream for a proxied INVITE (the stack already answered 200/487). */
  cancel(txn: ServerTransaction): void {
    const job = this.jobs.get(txn);
    if (!job) return;
    job.pending = [];
    for (const ct of job.branches) ct.cancel();
  }

  /** In-dialog request routed through us (our Record-Route in its Route set). */
  forwardInDialog(req: SipMessage, txn: ServerTransaction, _source: Endpoint): boolean {
    if (!req.toTag || !this.topRouteIsOurs(req)) return false;
    const fwd = req.clone();
    this.popOwnRoute(fwd);
    this.decrementMaxForwards(fwd);
    const next = fwd.get('Route') ? uriOf(fwd.getAll('Route')[0]) : fwd.uri;
    let dest: Endpoint;
    try {
      dest = this.deps.stack.resolveTarget(next);
    } catch {
      return false;
    }
    let ct: ClientTransaction;
    try {
      ct = this.deps.stack.sendRequest(fwd, dest);
    } catch {
      return false;
    }
    ct.on('response', (res: SipMessage) => {
      if (res.status === 100) return;
      try {
        txn.respond(stripTopVia(res));
      } catch (err) {
        this.deps.log.debug({ err: (err as Error).message }, 'relaying in-dialog response failed');
      }
    });
    ct.on('transport-error', () => undefined);
    return true;
  }

  /** ACK for a proxied 2xx that carries our Record-Route: forwarded statelessly. */
  forwardAck(req: SipMessage): void {
    if (!this.topRouteIsOurs(req)) return;
    const fwd = req.clone();
    this.popOwnRoute(fwd);
    this.decrementMaxForwards(fwd);
    const next = fwd.get('Route') ? uriOf(fwd.getAll('Route')[0]) : fwd.uri;
    try {
      const dest = this.deps.stack.resolveTarget(next);
      const local = this.deps.local(dest.transport);
      fwd.prepend('Via', `SIP/2.0/${dest.transport.toUpperCase()} ${local.hostport};branch=z9hG4bK${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`);
      this.deps.stack.sendStateless(fwd, dest);
    } catch (err) {
      this.deps.log.debug({ err: (err as Error).message }, 'ACK not forwarded');
    }
  }

  private guarded(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message }, 'proxy step failed');
    }
  }

  private nextBranch(job: ProxyJob): void {
    const s = job.start;
    const target = job.pending.shift();
    if (!target) return;
    let dest: Endpoint;
    try {
      dest = this.deps.stack.resolveTarget(target);
    } catch (err) {
      this.deps.log.debug({ err: (err as Error).message, target }, 'proxy destination not resolvable');
      this.onBranchFinal(job, this.local483(s.req, 404, 'Not Found'));
      return;
    }
    const fwd = s.req.clone();
    fwd.uri = target;
    if (this.topRouteIsOurs(fwd)) this.popOwnRoute(fwd);
    this.decrementMaxForwards(fwd);
    if (job.recordRoute) {
      const local = this.deps.local(dest.transport);
      const tp = dest.transport === 'tcp' ? ';transport=tcp' : '';
      fwd.prepend('Record-Route', `<sip:${local.hostport}${tp};lr>`);
    }
    for (const h of job.extraHeaders) fwd.set(h.name, h.value);
    let ct: ClientTransaction;
    try {
      ct = this.deps.stack.sendRequest(fwd, dest);
    } catch (err) {
      this.deps.log.debug({ err: (err as Error).message, target }, 'proxy branch not sent');
      this.onBranchFinal(job, this.local483(s.req, 503, 'Service Unavailable'));
      return;
    }
    job.branches.add(ct);
    let final = false;
    ct.on('response', (res: SipMessage) => this.guarded(() => onResponse(res)));
    const onResponse = (res: SipMessage) => {
      if (res.status === 100) return;
      this.report(job, res, dest);
      if (res.status < 200) {
        if (!job.done) this.respondUpstream(s, stripTopVia(res));
        return;
      }
      if (final) return;
      final = true;
      job.branches.delete(ct);
      this.onBranchFinal(job, res);
    };
    ct.on('transport-error', () => {
      if (final) return;
      final = true;
      job.branches.delete(ct);
      this.guarded(() => this.onBranchFinal(job, this.local483(s.req, 503, 'Service Unavailable')));
    });
  }

  private onBranchFinal(job: ProxyJob, res: SipMessage): void {
    if (job.done) return;
    const status = res.status;
    if (status < 300) {
      // a 2xx wins: cancel the other branches (RFC 3261 16.7 step 10)
      for (const ct of job.branches) ct.cancel();
      job.pending = [];
      return this.finish(job, res);
    }
    if (job.followRedirects && status < 400) {
      for (const c of res.getAll('Contact')) job.pending.push(uriOf(c));
    }
    if (!job.best || rank(status) < rank(job.best.status)) job.best = res;
    if (status >= 600) {
      for (const ct of job.branches) ct.cancel();
      job.pending = [];
    }
    if (job.serial && job.pending.length) return this.nextBranch(job);
    if (!job.serial && job.pending.length) {
      while (job.pending.length) this.nextBranch(job);
      return;
    }
    if (job.branches.size === 0) this.finish(job, job.best);
  }

  private finish(job: ProxyJob, res: SipMessage | undefined, timedOut = false): void {
    if (job.done) return;
    job.done = true;
    if (job.finalTimer) clearTimeout(job.finalTimer);
    this.jobs.delete(job.start.txn);
    if (timedOut) for (const ct of job.branches) ct.cancel();
    const final = res ?? this.local483(job.start.req, 408, 'Request Timeout');
    this.respondUpstream(job.start, res ? stripTopVia(final) : final);
    if (!job.start.conn.closed) job.start.conn.reply(job.start.msgId, 'OK|done');
  }

  /** `OK|network|<bytes>|<proto>|<addr>|<port>|<time>|<txnId>|<dialogId>|continue` + response. */
  private report(job: ProxyJob, res: SipMessage, from: Endpoint): void {
    const s = job.start;
    if (s.conn.closed) return;
    const text = res.toString();
    s.conn.reply(s.msgId, `OK|network|${Buffer.byteLength(text)}|${from.transport}|${from.address}|${from.port}|${stackTime()}|${s.tokens[2] ?? ''}||continue\r\n${text}`);
  }

  private respondUpstream(s: ProxyStart, res: SipMessage): void {
    try {
      s.txn.respond(res);
    } catch (err) {
      this.deps.log.debug({ err: (err as Error).message }, 'upstream response failed');
    }
  }

  /** A response made here (not relayed): Via/From/To/Call-ID/CSeq from the request. */
  private local483(req: SipMessage, status = 483, reason = 'Too Many Hops'): SipMessage {
    return synthesizeResponse(req, status, reason);
  }

  private isOurUri(uri: string): boolean {
    try {
      const u = parseUri(uri);
      return this.deps.stack.listening.some((e) => (u.host === e.address || u.host === 'localhost') && (u.port ?? 5060) === e.port);
    } catch {
      return false;
    }
  }

  private topRouteIsOurs(req: SipMessage): boolean {
    const r = req.getAll('Route')[0];
    return !!r && this.isOurUri(uriOf(r));
  }

  private popOwnRoute(msg: SipMessage): void {
    const routes = msg.getAll('Route');
    msg.remove('Route');
    for (const r of routes.slice(1)) msg.add('Route', r);
  }

  private decrementMaxForwards(msg: SipMessage): void {
    const n = Number(msg.get('Max-Forwards') ?? '70');
    msg.set('Max-Forwards', String(Number.isFinite(n) ? Math.max(0, n - 1) : 69));
  }
}

function stripTopVia(res: SipMessage): SipMessage {
  const out = res.clone();
  const vias = out.getAll('Via');
  out.remove('Via');
  for (const v of vias.slice(1)) out.add('Via', v);
  return out;
}

/** RFC 3261 16.7 response choice: 6xx first, then lowest class, 5xx last. */
function rank(status: number): number {
  if (status >= 600) return 0;
  if (status >= 500) return 900 + status;
  return status;
}

function parseTimeout(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const m = /^(\d+)(ms|s)?$/.exec(s.trim());
  if (!m) return undefined;
  return m[2] === 's' ? Number(m[1]) * 1000 : Number(m[1]);
}
