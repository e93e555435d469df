import type { AppConnection } from './control-server.js';
import type { Endpoint, SipMessage, Transport } from './message.js';
import { uriOf } from './complete-message.js';

/** A 2xx to INVITE we sent and keep retransmitting until the ACK arrives (RFC 3261 13.3.1.4). */
export interface PendingAck {
  seq: number;
  response: SipMessage;
  dest: Endpoint;
  /** txnId of the INVITE, given to the app with the ACK. */
  txnId: string;
  retransmit?: NodeJS.Timeout;
  giveUp?: NodeJS.Timeout;
}

/** SIP dialog state (RFC 3261 12) plus what the drachtio protocol needs (owner app, dialogId). */
export class Dialog {
  state: 'early' | 'confirmed' | 'terminated' = 'confirmed';
  /** Next CSeq for our requests is ++localSeq. */
  localSeq: number;
  remoteSeq: number;
  remoteTarget: string;
  routeSet: string[];
  /** UAS: 2xx awaiting ACK. */
  pendingAck?: PendingAck;
  /** UAC: the INVITE CSeq whose 2xx the app has not ACKed yet, with the txnId. */
  awaitingAppAck?: { seq: number; txnId: string };
  /** UAC: last ACK we sent for a 2xx, re-sent when that 2xx is retransmitted. */
  lastAck?: { seq: number; msg: SipMessage; dest: Endpoint };
  /** When the dialog was confirmed (for cdr and diagnostics). */
  readonly createdAt = Date.now();

  constructor(
    readonly id: string,
    readonly role: 'uas' | 'uac',
    readonly method: string,
    readonly callId: string,
    readonly localTag: string,
    public remoteTag: string,
    /** From value for our requests (UAC: our From; UAS: the To we answered with). */
    readonly localParty: string,
    /** To value for our requests. */
    public remoteParty: string,
    localSeq: number,
    remoteSeq: number,
    remoteTarget: string,
    routeSet: string[],
    readonly localContact: string,
    readonly transport: Transport,
    /** TCP connection the dialog was set up on; in-dialog requests reuse it. */
    readonly flow: Endpoint | undefined,
    public conn: AppConnection,
  ) {
    this.localSeq = localSeq;
    this.remoteSeq = remoteSeq;
    this.remoteTarget = remoteTarget;
    this.routeSet = routeSet;
  }

  static uas(opts: {
    id: string; request: SipMessage; response: SipMessage; localTag: string; source: Endpoint; conn: AppConnection;
  }): Dialog {
    const { request: req, response: res } = opts;
    return new Dialog(
      opts.id, 'uas', req.method, req.callId, opts.localTag, req.fromTag ?? '',
      res.get('To') ?? '', req.get('From') ?? '',
      Math.floor(Math.random() * 10000), req.cseq.seq,
      uriOf(req.get('Contact') ?? ''), req.getAll('Record-Route'),
      res.get('Contact') ?? '', opts.source.transport,
      opts.source.transport === 'tcp' ? opts.source : undefined, opts.conn,
    );
  }

  static uac(opts: { id: string; request: SipMessage; response: SipMessage; dest: Endpoint; conn: AppConnection }): Dialog {
    const { request: req, response: res } = opts;
    return new Dialog(
      opts.id, 'uac', req.method, req.callId, req.fromTag ?? '', res.toTag ?? '',
      req.get('From') ?? '', res.get('To') ?? '',
      req.cseq.seq, 0,
      uriOf(res.get('Contact') ?? req.uri), [...res.getAll('Record-Route')].reverse(),
      req.get('Contact') ?? '', opts.dest.transport,
      opts.dest.transport === 'tcp' ? opts.dest : undefined, opts.conn,
    );
  }

  /** Refresh from a later 2xx (UAC early -> confirmed) or a target-refresh request. */
  updateFromResponse(res: SipMessage): void {
    const contact = res.get('Contact');
    if (contact) this.remoteTarget = uriOf(contact);
    if (res.toTag) this.remoteTag = res.toTag;
    const to = res.get('To');
    if (to) this.remoteParty = to;
    if (this.state === 'early') this.routeSet = [...res.getAll('Record-Route')].reverse();
  }

  get key(): string {
    return dialogKey(this.callId, this.localTag);
  }

  clearPendingAck(): void {
    const p = this.pendingAck;
    if (!p) return;
    if (p.retransmit) clearTimeout(p.retransmit);
    if (p.giveUp) clearTimeout(p.giveUp);
    this.pendingAck = undefined;
  }
}

export function dialogKey(callId: string, localTag: string): string {
  return `${callId}\n${localTag}`;
}

/** drachtio's dialog id convention: `<Call-ID>;from-tag=<From tag>` (srf relies on it). */
export function drachtioDialogId(callId: string, fromTag: string): string {
  return `${callId};from-tag=${fromTag}`;
}

/** Dialogs by drachtio id and by (Call-ID, local tag) for matching network requests. */
export class DialogStore {
  private readonly byId = new Map<string, Dialog>();
  private readonly byKey = new Map<string, Dialog>();

  get size(): number {
    return this.byId.size;
  }

  /** A free id: the drachtio convention, suffixed when the engine is both ends of one call. */
  uniqueId(callId: string, fromTag: string): string {
    const base = drachtioDialogId(callId, fromTag);
    if (!this.byId.has(base)) return base;
    let n = 2;
    while (this.byId.has(`${base};${n}`)) n++;
    return `${base};${n}`;
  }

  add(d: Dialog): void {
    this.byId.set(d.id, d);
    this.byKey.set(d.key, d);
  }

  getById(id: string): Dialog | undefined {
    return this.byId.get(id);
  }

  find(callId: string, localTag: string | undefined): Dialog | undefined {
    return localTag ? this.byKey.get(dialogKey(callId, localTag)) : undefined;
  }

  remove(d: Dialog): void {
    d.state = 'terminated';
    d.clearPendingAck();
    if (this.byId.get(d.id) === d) this.byId.delete(d.id);
    if (this.byKey.get(d.key) === d) this.byKey.delete(d.key);
  }

  all(): IterableIterator<Dialog> {
    return this.byId.values();
  }
}
