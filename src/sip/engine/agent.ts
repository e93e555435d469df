import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { SipMessage, type Endpoint, type Transport } from './message.js';
import type { ClientTransaction, ServerTransaction, SipStack } from './stack.js';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { newBranch, newTag, parseUri } from './uri.js';
import { stackTime } from './control-framing.js';
import type { AppConnection, ControlHandler, ControlServer } from './control-server.js';
import { CdrEmitter } from './cdr.js';
import {
  CONTACT_METHODS, completeNewRequest, completeResponse, parsePartial, replaceLocalhost, uriOf,
  type LocalIdentity,
} from './complete-message.js';
import { Dialog, DialogStore } from './dialog.js';
import { ProxyCore } from './proxy.js';
import { synthesizeResponse } from './synthesize.js';

export interface AgentOptions {
  stack: SipStack;
  log: Logger;
  /** RFC 3261 T1 (2xx retransmission start interval). */
  t1Ms?: number;
  /** RFC 3261 T2 (2xx retransmission interval cap). */
  t2Ms?: number;
  /** No ACK for a 2xx within this time -> BYE to the peer and to the app. Default 64*T1 (32 s). */
  ackTimeoutMs?: number;
}

/** A network request handed to an app, waiting for the app's response(s). */
interface InboundTxn {
  id: string;
  req: SipMessage;
  txn: ServerTransaction;
  source: Endpoint;
  conn: AppConnection;
  localTag: string;
  dialog?: Dialog;
  finalSent: boolean;
}

/** A request the app sent, waiting for network responses. */
interface OutboundTxn {
  id: string;
  conn: AppConnection;
  req: SipMessage;
  dest: Endpoint;
  ct: ClientTransaction;
  /** Set for requests inside an existing dialog (re-INVITE, BYE, INFO...). */
  inDialog?: Dialog;
  /** UAC dialog created by a 2xx to this (initial) INVITE. */
  dialog?: Dialog;
  gotFinal: boolean;
  got2xx: boolean;
}

/** Headers an app may not set on in-dialog requests: the dialog defines them. */
const DIALOG_HEADERS = new Set(['via', 'from', 'to', 'call-id', 'cseq', 'route', 'max-forwards', 'content-length', 'contact']);

/**
 * Ties the drachtio control protocol to the SIP stack: routes network requests to apps, completes the
 * apps' partial messages, keeps dialogs (route sets, CSeq, targets), retransmits 2xx until ACK.
 */
export class Agent implements ControlHandler {
  readonly dialogs = new DialogStore();
  private control!: ControlServer;
  private cdr!: CdrEmitter;
  private proxy!: ProxyCore;
  private readonly stack: SipStack;
  private readonly log: Logger;
  private readonly t1: number;
  private readonly t2: number;
  private readonly ackTimeoutMs: number;
  private readonly inbound = new Map<string, InboundTxn>();
  private readonly inboundByTxn = new Map<ServerTransaction, InboundTxn>();
  private readonly outbound = new Map<string, OutboundTxn>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(opts: AgentOptions) {
    this.stack = opts.stack;
    this.log = opts.log.child({ component: 'agent' });
    this.t1 = opts.t1Ms ?? 500;
    this.t2 = opts.t2Ms ?? 4000;
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 64 * this.t1;
  }

  /** Connects the agent to the control server and starts listening to the stack. */
  attach(control: ControlServer): void {
    this.control = control;
    this.cdr = new CdrEmitter(control);
    this.proxy = new ProxyCore({ stack: this.stack, log: this.log, local: (t) => this.local(t) });
    this.stack.on('request', (req: SipMessage, txn: ServerTransaction | null, source: Endpoint) => {
      try {
        this.onNetworkRequest(req, txn, source);
      } catch (err) {
        this.log.error({ err, callId: safeCallId(req) }, 'failed handling network request');
        if (txn) this.respondLocally(txn, req, 500, 'Server Internal Error');
      }
    });
    this.stack.on('cancel', (txn: ServerTransaction, cancel: SipMessage) => {
      try {
        this.onNetworkCancel(txn, cancel);
      } catch (err) {
        this.log.error({ err, callId: safeCallId(cancel) }, 'failed handling CANCEL');
      }
    });
    this.stack.on('stray-response', (res: SipMessage) => {
      // a 2xx retransmitted after the INVITE client transaction ended: re-send our ACK
      if (res.status < 200 || res.status >= 300 || res.cseq.method !== 'INVITE') return;
      const d = this.dialogs.find(res.callId, res.fromTag);
      const ack = d?.lastAck;
      if (ack && ack.seq === res.cseq.seq) this.guarded('re-ACK', () => this.stack.sendStateless(ack.msg, ack.dest));
    });
    this.stack.on('parse-error', (err: Error, source: Endpoint) => {
      this.log.debug({ err: err.message, source }, 'unparseable SIP message');
    });
  }

  /** Stops timers (engine shutdown). */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const d of this.dialogs.all()) d.clearPendingAck();
    this.proxy?.stop();
  }

  hostports(): string {
    return this.stack.listening.map((e) => `${e.transport}/${e.address}:${e.port}`).join(',');
  }

  // ---------------------------------------------------------------- network -> app

  private onNetworkRequest(req: SipMessage, txn: ServerTransaction | null, source: Endpoint): void {
    if (req.method === 'ACK') return this.onNetworkAck(req, source);
    if (!txn) return;
    const toTag = req.toTag;
    if (toTag) {
      const d = this.dialogs.find(req.callId, toTag);
      if (!d) {
        if (this.proxy.forwardInDialog(req, txn, source)) return;
        return this.respondLocally(txn, req, 481, 'Call/Transaction Does Not Exist');
      }
      return this.onInDialogRequest(d, req, txn, source);
    }
    if (this.proxy.forwardInDialog(req, txn, source)) return;
    const app = this.control.pickApp(req.method.toLowerCase());
    if (!app) {
      if (req.method === 'OPTIONS') return this.respondLocally(txn, req, 200, 'OK');
      this.log.debug({ callId: req.callId, method: req.method }, 'no app routes this method');
      return this.respondLocally(txn, req, 503, 'Service Unavailable');
    }
    const it: InboundTxn = {
      id: randomUUID(), req, txn, source, conn: app, localTag: newTag(), finalSent: false,
    };
    this.trackInbound(it);
    if (req.method === 'INVITE') this.cdr.attempt('network', req);
    this.deliver(app, req, source, it.id, '');
  }

  private onInDialogRequest(d: Dialog, req: SipMessage, txn: ServerTransaction, source: Endpoint): void {
    const seq = req.cseq.seq;
    if (d.remoteSeq && seq < d.remoteSeq) return this.respondLocally(txn, req, 500, 'Out of order CSeq', d.localTag);
    d.remoteSeq = seq;
    if ((req.method === 'INVITE' || req.method === 'UPDATE') && req.has('Contact')) d.remoteTarget = uriOf(req.get('Contact') ?? '');
    if (req.method === 'BYE') {
      this.dialogs.remove(d);
      this.cdr.stop('network', 'normal-release', req);
    }
    if (d.conn.closed) {
      // the owning app is gone: end the dialog cleanly towards the network
      if (req.method === 'BYE') return this.respondLocally(txn, req, 200, 'OK', d.localTag);
      return this.respondLocally(txn, req, 481, 'Call/Transaction Does Not Exist', d.localTag);
    }
    const it: InboundTxn = { id: randomUUID(), req, txn, source, conn: d.conn, localTag: d.localTag, dialog: d, finalSent: false };
    this.trackInbound(it);
    this.deliver(d.conn, req, source, it.id, d.id);
  }

  private onNetworkAck(req: SipMessage, source: Endpoint): void {
    const d = this.dialogs.find(req.callId, req.toTag);
    if (!d) {
      this.proxy.forwardAck(req);
      return;
    }
    const p = d.pendingAck;
    if (!p || p.seq !== req.cseq.seq) return; // retransmitted ACK, or ACK for a non-2xx (absorbed)
    d.clearPendingAck();
    this.deliver(d.conn, req, source, p.txnId, d.id);
  }

  private onNetworkCancel(txn: ServerTransaction, cancel: SipMessage): void {
    const it = this.inboundByTxn.get(txn);
    if (!it) {
      this.proxy.cancel(txn);
      return;
    }
    if (it.finalSent) return;
    it.finalSent = true;
    this.untrackInbound(it);
    this.cdr.stop('network', 'call-canceled', cancel);
    this.deliver(it.conn, cancel, it.source, it.id, '');
  }

  /** `<uuid>|sip|network|<bytes>|<proto>|<addr>|<port>|<time>|<txnId>|<dialogId>|<recvAddr>|<recvPort>` + SIP. */
  private deliver(conn: AppConnection, msg: SipMessage, source: Endpoint, txnId: string, dialogId: string): void {
    const text = msg.toString();
    const recv = this.recvEndpoint(source.transport);
    conn.send(
      `sip|network|${Buffer.byteLength(text)}|${source.transport}|${source.address}|${source.port}|${stackTime()}|${txnId}|${dialogId}|${recv?.address ?? ''}|${recv?.port ?? ''}\r\n${text}`,
    );
  }

  private trackInbound(it: InboundTxn): void {
    this.inbound.set(it.id, it);
    this.inboundByTxn.set(it.txn, it);
    it.txn.once('terminated', () => {
      // the transaction ended (answered, or the stack gave up waiting for the app): forget it
      if (this.inbound.get(it.id) === it) {
        it.finalSent = true;
        this.untrackInbound(it);
      }
    });
  }

  private untrackInbound(it: InboundTxn): void {
    this.inbound.delete(it.id);
    this.inboundByTxn.delete(it.txn);
  }

  /** A response the engine makes itself (no app involved). */
  private respondLocally(txn: ServerTransaction, req: SipMessage, status: number, reason: string, tag?: string): void {
    const res = SipMessage.response(status, reason);
    const source = txn.source;
    completeResponse(res, { request: req, localTag: tag ?? newTag(), local: this.local(source.transport) });
    try {
      txn.respond(res);
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'local response failed');
    }
  }

  // ---------------------------------------------------------------- app -> engine

  onSip(conn: AppConnection, msgId: string, tokens: string[], sip: string | undefined): void {
    const txnId = tokens[2] ?? '';
    const dialogId = tokens[3] ?? '';
    const outboundProxy = tokens[4] ?? '';
    if (!sip) throw new Error('missing SIP message');
    const msg = parsePartial(sip);
    if (msg.kind === 'response') return this.appResponse(conn, msgId, txnId, msg);
    if (msg.method === 'CANCEL' && txnId) return this.appCancel(conn, msgId, txnId, msg);
    if (dialogId) return this.appInDialogRequest(conn, msgId, dialogId, msg);
    return this.appNewRequest(conn, msgId, msg, outboundProxy);
  }

  onProxy(conn: AppConnection, msgId: string, tokens: string[], sip: string | undefined): void {
    const txnId = tokens[2] ?? '';
    const it = this.inbound.get(txnId);
    if (!it) throw new Error('unknown transaction');
    if (it.finalSent) throw new Error('transaction already answered');
    // the proxy owns the transaction from now on
    it.finalSent = true;
    this.untrackInbound(it);
    this.proxy.start({ conn, msgId, tokens, sip, req: it.req, txn: it.txn, source: it.source, cdr: this.cdr });
  }

  onDisconnect(conn: AppConnection): void {
    for (const it of [...this.inbound.values()]) {
      if (it.conn !== conn || it.finalSent) continue;
      it.finalSent = true;
      this.untrackInbound(it);
      this.respondLocally(it.txn, it.req, 480, 'Temporarily Unavailable', it.localTag);
    }
  }

  private appResponse(conn: AppConnection, msgId: string, txnId: string, res: SipMessage): void {
    const it = this.inbound.get(txnId);
    if (!it) throw new Error('unknown transaction');
    if (it.finalSent) throw new Error('final response already sent');
    const req = it.req;
    completeResponse(res, { request: req, localTag: it.localTag, local: this.local(it.source.transport) });
    const status = res.status;
    const dest = this.stack.responseDestination(req, it.source);
    let dialogId = it.dialog?.id ?? '';
    if (status >= 200) {
      it.finalSent = true;
      this.untrackInbound(it);
    }
    const isInvite = req.method === 'INVITE';
    if (status >= 200 && status < 300 && (isInvite || req.method === 'SUBSCRIBE')) {
      let d = it.dialog;
      if (!d) {
        d = Dialog.uas({
          id: this.dialogs.uniqueId(req.callId, req.fromTag ?? ''), request: req, response: res, localTag: it.localTag, source: it.source, conn,
        });
        this.dialogs.add(d);
        if (isInvite) this.cdr.start('application', 'uas', res);
      }
      dialogId = d.id;
      it.txn.respond(res);
      if (isInvite) this.awaitAck(d, res, dest, it.id);
    } else {
      it.txn.respond(res);
      if (isInvite && status >= 300 && !it.dialog) this.cdr.stop('application', 'call-rejected', res);
    }
    this.echo(conn, msgId, res, dest, txnId, dialogId);
  }

  private appNewRequest(conn: AppConnection, msgId: string, msg: SipMessage, outboundProxy: string): void {
    if (msg.method === 'ACK' || msg.method === 'CANCEL') {
      // ACK for a non-2xx (the transaction layer already sent it) or a stray CANCEL: nothing to send
      return conn.reply(msgId, `OK|application|0|udp|||${stackTime()}|||\r\n${msg.toString()}`);
    }
    if (/^sip:placeholder\b/i.test(msg.uri)) throw new Error('request-uri placeholder needs a dialog');
    const route = msg.get('Route');
    const target = outboundProxy ? asSipUri(outboundProxy) : route ? uriOf(route.split(',')[0]) : msg.uri;
    let dest: Endpoint;
    try {
      dest = this.stack.resolveTarget(target);
    } catch (err) {
      // the stack resolves IP literals only; drachtio-server also accepts host names (A records here)
      const byName = dnsTarget(target);
      if (!byName) throw err;
      lookup(byName.host, { family: 4 }).then(
        ({ address }) => {
          try {
            this.sendNewRequest(conn, msgId, msg, { transport: byName.transport, address, port: byName.port });
          } catch (e) {
            conn.nok(msgId, (e as Error).message);
          }
        },
        (e: Error) => conn.nok(msgId, `cannot resolve ${byName.host}: ${e.message}`),
      );
      return;
    }
    this.sendNewRequest(conn, msgId, msg, dest);
  }

  private sendNewRequest(conn: AppConnection, msgId: string, msg: SipMessage, dest: Endpoint): void {
    const local = this.local(dest.transport);
    completeNewRequest(msg, local, local.hostport.split(':')[0]);
    const ct = this.stack.sendRequest(msg, dest);
    const ot: OutboundTxn = { id: randomUUID(), conn, req: ct.request ?? msg, dest, ct, gotFinal: false, got2xx: false };
    this.trackOutbound(ot);
    this.echo(conn, msgId, ot.req, dest, ot.id, '');
    if (msg.method === 'INVITE') this.cdr.attempt('application', ot.req);
  }

  private appInDialogRequest(conn: AppConnection, msgId: string, dialogId: string, msg: SipMessage): void {
    const d = this.dialogs.getById(dialogId);
    if (msg.method === 'ACK') return this.appAck(conn, msgId, d, msg);
    if (!d) throw new Error('unable to find dialog');
    const req = this.buildInDialogRequest(d, msg, ++d.localSeq);
    const dest = this.inDialogDestination(d);
    const ct = this.stack.sendRequest(req, dest);
    const ot: OutboundTxn = { id: randomUUID(), conn, req: ct.request ?? req, dest, ct, inDialog: d, gotFinal: false, got2xx: false };
    this.trackOutbound(ot);
    if (req.method === 'BYE') {
      this.dialogs.remove(d);
      this.cdr.stop('application', 'normal-release', ot.req);
    }
    this.echo(conn, msgId, ot.req, dest, ot.id, d.id);
  }

  private appAck(conn: AppConnection, msgId: string, d: Dialog | undefined, msg: SipMessage): void {
    const waiting = d?.awaitingAppAck;
    if (!d || !waiting) {
      // ACK for a non-2xx final (already sent by the transaction layer)
      return conn.reply(msgId, `OK|application|0|udp|||${stackTime()}||${d?.id ?? ''}|\r\n${msg.toString()}`);
    }
    const ack = this.buildInDialogRequest(d, msg, waiting.seq);
    const dest = this.inDialogDestination(d);
    ack.prepend('Via', `SIP/2.0/${dest.transport.toUpperCase()} ${this.local(dest.transport).hostport};branch=${newBranch()};rport`);
    this.stack.sendStateless(ack, dest);
    d.lastAck = { seq: waiting.seq, msg: ack, dest };
    d.awaitingAppAck = undefined;
    this.echo(conn, msgId, ack, dest, waiting.txnId, d.id);
  }

  private appCancel(conn: AppConnection, msgId: string, txnId: string, msg: SipMessage): void {
    const ot = this.outbound.get(txnId);
    if (!ot || ot.req.method !== 'INVITE') throw new Error('unknown transaction');
    const extra: { name: string; value: string }[] = [];
    for (const h of msg.headers) if (!DIALOG_HEADERS.has(h.name.toLowerCase()) && h.name.toLowerCase() !== 'content-type') extra.push(h);
    const cancel = SipMessage.request('CANCEL', ot.req.uri);
    const via = ot.req.get('Via');
    if (via) cancel.set('Via', via);
    cancel.set('Max-Forwards', '70');
    for (const h of ['From', 'To', 'Call-ID']) cancel.set(h, ot.req.get(h) ?? '');
    cancel.set('CSeq', `${ot.req.cseq.seq} CANCEL`);
    for (const r of ot.req.getAll('Route')) cancel.add('Route', r);
    for (const h of extra) cancel.add(h.name, h.value);
    if (!ot.gotFinal) ot.ct.cancel(extra);
    this.echo(conn, msgId, cancel, ot.dest, txnId, '');
  }

  private trackOutbound(ot: OutboundTxn): void {
    this.outbound.set(ot.id, ot);
    ot.ct.on('response', (res: SipMessage) => {
      try {
        this.onUacResponse(ot, res);
      } catch (err) {
        this.log.error({ err, callId: safeCallId(res) }, 'failed handling response');
      }
    });
    ot.ct.on('transport-error', (err: Error) => {
      this.log.debug({ err: err.message, callId: ot.req.callId }, 'transport error sending request');
      if (ot.gotFinal) return;
      this.guarded('transport error', () => this.onUacResponse(ot, synthesizeResponse(ot.req, 503, 'Service Unavailable')));
    });
  }

  private onUacResponse(ot: OutboundTxn, res: SipMessage): void {
    if (res.status === 100) return; // absorbed like drachtio-server does
    const req = ot.req;
    const isInvite = req.method === 'INVITE';
    const is2xx = res.status >= 200 && res.status < 300;
    let dialogId = ot.inDialog?.id ?? '';
    if (isInvite && is2xx) {
      if (ot.got2xx) {
        // 2xx retransmission: re-send our ACK (RFC 3261 13.2.2.4), do not bother the app again
        const d = ot.dialog ?? ot.inDialog;
        if (d?.lastAck && d.lastAck.seq === req.cseq.seq && res.toTag === d.remoteTag) this.stack.sendStateless(d.lastAck.msg, d.lastAck.dest);
        return;
      }
      ot.got2xx = true;
      let d = ot.inDialog;
      if (d) d.updateFromResponse(res);
      else {
        d = Dialog.uac({ id: this.dialogs.uniqueId(req.callId, req.fromTag ?? ''), request: req, response: res, dest: ot.dest, conn: ot.conn });
        this.dialogs.add(d);
        ot.dialog = d;
        this.cdr.start('network', 'uac', res);
      }
      d.awaitingAppAck = { seq: req.cseq.seq, txnId: ot.id };
      dialogId = d.id;
      // keep the transaction around to re-ACK retransmitted 2xx, then forget it
      this.later(64 * this.t1, () => this.outbound.delete(ot.id));
    } else if (isInvite && !ot.inDialog && res.toTag && res.status < 300) {
      dialogId = this.dialogs.uniqueId(req.callId, req.fromTag ?? '');
    }
    if (res.status >= 200) {
      if (ot.gotFinal && !is2xx) return;
      ot.gotFinal = true;
      if (!is2xx) this.outbound.delete(ot.id);
      if (isInvite && !ot.inDialog && res.status >= 300) {
        this.cdr.stop('network', res.status === 487 ? 'call-canceled' : 'call-rejected', res);
      }
    }
    if (ot.conn.closed) return;
    const src = ot.dest;
    const text = res.toString();
    const recv = this.recvEndpoint(src.transport);
    ot.conn.send(
      `sip|network|${Buffer.byteLength(text)}|${src.transport}|${src.address}|${src.port}|${stackTime()}|${ot.id}|${dialogId}|${recv?.address ?? ''}|${recv?.port ?? ''}\r\n${text}`,
    );
  }

  // ---------------------------------------------------------------- dialogs

  /** Retransmits the 2xx until the ACK (UDP: T1 doubling to T2); gives up after ackTimeoutMs with BYE. */
  private awaitAck(d: Dialog, res: SipMessage, dest: Endpoint, txnId: string): void {
    d.clearPendingAck();
    const p: NonNullable<Dialog['pendingAck']> = { seq: res.cseq.seq, response: res, dest, txnId };
    d.pendingAck = p;
    if (dest.transport === 'udp') {
      let interval = this.t1;
      const tick = () => {
        if (d.pendingAck !== p) return;
        this.guarded('2xx retransmission', () => this.stack.sendStateless(res, dest));
        interval = Math.min(interval * 2, this.t2);
        p.retransmit = setTimeout(tick, interval);
      };
      p.retransmit = setTimeout(tick, interval);
    }
    p.giveUp = setTimeout(() => {
      if (d.pendingAck !== p) return;
      this.guarded('ACK timeout', () => this.ackTimeout(d));
    }, this.ackTimeoutMs);
  }

  private ackTimeout(d: Dialog): void {
    d.clearPendingAck();
    this.log.info({ callId: d.callId, dialogId: d.id }, 'no ACK for 2xx; ending the dialog with BYE');
    const stub = SipMessage.request('BYE', d.remoteTarget);
    stub.set('Reason', 'SIP;cause=408;text="ACK timeout"');
    this.dialogs.remove(d);
    const bye = this.buildInDialogRequest(d, stub, ++d.localSeq);
    const dest = this.inDialogDestination(d);
    try {
      const ct = this.stack.sendRequest(bye, dest);
      ct.on('response', () => undefined);
      ct.on('transport-error', () => undefined);
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'BYE after ACK timeout not sent');
    }
    this.cdr.stop('application', 'ack-timeout', bye);
    if (!d.conn.closed) {
      const text = bye.toString();
      d.conn.send(`sip|application|${Buffer.byteLength(text)}|${dest.transport}|${dest.address}|${dest.port}|${stackTime()}|unsolicited|${d.id}\r\n${text}`);
    }
  }

  /** Request inside dialog `d`: target, route set, tags, Call-ID, CSeq from the dialog; other headers and body from the app. */
  private buildInDialogRequest(d: Dialog, partial: SipMessage, seq: number): SipMessage {
    const { uri, routes } = this.routing(d);
    const req = SipMessage.request(partial.method, uri);
    for (const r of routes) req.add('Route', r);
    req.set('Max-Forwards', '70');
    req.set('From', d.localParty);
    req.set('To', d.remoteParty);
    req.set('Call-ID', d.callId);
    req.set('CSeq', `${seq} ${partial.method}`);
    const contact = partial.get('Contact');
    if (CONTACT_METHODS.has(partial.method)) {
      const hp = this.local(d.transport).hostport;
      req.set('Contact', contact ? replaceLocalhost(contact, hp) : d.localContact);
    }
    for (const h of partial.headers) if (!DIALOG_HEADERS.has(h.name.toLowerCase())) req.add(h.name, h.value);
    req.body = partial.body;
    if (req.body.length > 0 && !req.has('Content-Type')) req.set('Content-Type', 'application/sdp');
    return req;
  }

  private routing(d: Dialog): { uri: string; routes: string[]; next: string } {
    if (d.routeSet.length === 0) return { uri: d.remoteTarget, routes: [], next: d.remoteTarget };
    const first = uriOf(d.routeSet[0]);
    if (/;lr\b/i.test(first)) return { uri: d.remoteTarget, routes: d.routeSet, next: first };
    // strict router (RFC 3261 12.2.1.1)
    return { uri: first, routes: [...d.routeSet.slice(1), `<${d.remoteTarget}>`], next: first };
  }

  private inDialogDestination(d: Dialog): Endpoint {
    const { routes, next } = this.routing(d);
    if (routes.length === 0 && d.flow) return d.flow;
    const ep = this.stack.resolveTarget(next);
    if (!/;transport=/i.test(next)) return { ...ep, transport: d.transport };
    return ep;
  }

  // ---------------------------------------------------------------- helpers

  private readonly localCache = new Map<Transport, LocalIdentity>();
  private readonly recvCache = new Map<Transport, Endpoint | undefined>();

  /** Our listener for a transport (the `<recvAddr>|<recvPort>` of incoming-message meta lines). */
  private recvEndpoint(t: Transport): Endpoint | undefined {
    if (!this.recvCache.has(t)) {
      const all = this.stack.listening;
      this.recvCache.set(t, all.find((e) => e.transport === t) ?? all[0]);
    }
    return this.recvCache.get(t);
  }

  /** host:port and Contact URI of the listener for `transport`. */
  local(transport: Transport): LocalIdentity {
    let l = this.localCache.get(transport);
    if (!l) {
      const contactUri = this.stack.contactFor(transport);
      const m = /^sips?:(?:[^@]*@)?([^;>]+)/i.exec(contactUri);
      l = { hostport: m ? m[1] : '127.0.0.1', contactUri };
      this.localCache.set(transport, l);
    }
    return l;
  }

  /** `OK|application|<bytes>|<proto>|<addr>|<port>|<time>|<txnId>|<dialogId>` + the message as sent. */
  private echo(conn: AppConnection, msgId: string, msg: SipMessage, dest: Endpoint, txnId: string, dialogId: string): void {
    const text = msg.toString();
    conn.reply(msgId, `OK|application|${Buffer.byteLength(text)}|${dest.transport}|${dest.address}|${dest.port}|${stackTime()}|${txnId}|${dialogId}|\r\n${text}`);
  }

  /** Runs `fn` from a timer or event, logging instead of throwing (an exception there would end the process). */
  private guarded(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, `${what} failed`);
    }
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref?.();
    this.timers.add(t);
  }

  /** Counts for diagnostics and benchmarks. */
  stats(): { dialogs: number; inbound: number; outbound: number; oldestDialogs: { id: string; role: string; ageMs: number; awaitingAck: boolean }[] } {
    const oldest: { id: string; role: string; ageMs: number; awaitingAck: boolean }[] = [];
    for (const d of this.dialogs.all()) {
      if (oldest.length >= 5) break;
      oldest.push({ id: d.id, role: d.role, ageMs: Date.now() - d.createdAt, awaitingAck: !!d.pendingAck });
    }
    return { dialogs: this.dialogs.size, inbound: this.inbound.size, outbound: this.outbound.size, oldestDialogs: oldest };
  }
}

/** Host name, port and transport of a sip: URI whose host is a name (not an IP literal); undefined otherwise. */
function dnsTarget(uri: string): { host: string; port: number; transport: Transport } | undefined {
  try {
    const u = parseUri(uri.trim());
    if (u.scheme !== 'sip' || isIP(u.host) || !/^[a-z0-9.-]+$/i.test(u.host)) return undefined;
    const t = (u.params.transport ?? 'udp').toLowerCase();
    if (t !== 'udp' && t !== 'tcp') return undefined;
    return { host: u.host, port: u.port ?? 5060, transport: t };
  } catch {
    return undefined;
  }
}

function asSipUri(s: string): string {
  return /^sips?:/i.test(s) ? s : `sip:${s}`;
}

function safeCallId(msg: SipMessage): string | undefined {
  try {
    return msg.callId;
  } catch {
    return undefined;
  }
}

