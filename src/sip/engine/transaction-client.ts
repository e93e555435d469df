import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { SipMessage, responseTo, type Endpoint, type Header } from './message.js';
import type { TransactionContext } from './transaction-context.js';
import { timer } from './timers.js';

export type ClientTxnState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

/**
 * RFC 3261 17.1 client transaction (INVITE and non-INVITE), with the RFC 6026 'accepted' state so
 * 2xx retransmissions (and forked 2xx) still reach the dialog layer, which ACKs them.
 * Events: 'response' (every response; a synthesized 408 on Timer B/F), 'timeout', 'transport-error', 'terminated'.
 */
export class ClientTransaction extends EventEmitter {
  readonly id = randomUUID();
  readonly kind = 'client' as const;
  readonly isInvite: boolean;
  state: ClientTxnState;
  /** Wire form of the request while it may be retransmitted; dropped once a final response arrives. */
  private buf: Buffer | undefined;
  private retransmit: NodeJS.Timeout | undefined;
  private retransmitInterval: number;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private endTimer: NodeJS.Timeout | undefined;
  private ackBuf: Buffer | undefined;
  private cancelWanted: Header[] | undefined;
  private cancelSent = false;

  constructor(
    private readonly ctx: TransactionContext,
    readonly key: string,
    readonly request: SipMessage,
    readonly dest: Endpoint,
  ) {
    super();
    this.isInvite = request.method === 'INVITE';
    this.state = this.isInvite ? 'calling' : 'trying';
    this.buf = request.toBuffer();
    this.retransmitInterval = ctx.timers.T1;
  }

  private get reliable(): boolean {
    return this.dest.transport !== 'udp';
  }

  /** Sends the request and arms Timer A/E (UDP) and B/F. Called by the stack right after construction. */
  start(): void {
    if (this.buf) this.transmit(this.buf);
    if (!this.reliable) this.retransmit = timer(this.retransmitInterval, () => this.onRetransmit());
    this.timeoutTimer = timer(64 * this.ctx.timers.T1, () => this.onTimeout());
  }

  /**
   * CANCELs the INVITE (RFC 3261 9.1): now when a provisional response has arrived, else as soon as
   * one does. The INVITE then normally ends with 487; without a final answer it times out after 64*T1.
   */
  cancel(extraHeaders: Header[] = []): void {
    if (!this.isInvite || this.cancelSent || this.cancelWanted) return;
    if (this.state === 'calling') this.cancelWanted = extraHeaders;
    else if (this.state === 'proceeding') this.sendCancel(extraHeaders);
  }

  /** A response whose top Via branch and CSeq method match this transaction. */
  receiveResponse(res: SipMessage): void {
    const s = res.status;
    switch (this.state) {
      case 'calling':
      case 'trying':
      case 'proceeding':
        if (s < 200) {
          this.stopRetransmit();
          if (this.isInvite) {
            // RFC 3261: Timer B only guards 'calling'; a provisional means the other side is alive
            if (this.state === 'calling' && this.timeoutTimer) clearTimeout(this.timeoutTimer);
            if (this.state === 'calling') this.timeoutTimer = timer(this.ctx.maxInviteProceedingMs, () => this.onProceedingTooLong());
          } else if (!this.reliable) {
            // Timer E continues at T2 in 'proceeding'
            this.retransmitInterval = this.ctx.timers.T2;
            this.retransmit = timer(this.retransmitInterval, () => this.onRetransmit());
          }
          this.state = 'proceeding';
          this.safeEmit('response', res);
          if (this.cancelWanted) {
            const h = this.cancelWanted;
            this.cancelWanted = undefined;
            this.sendCancel(h);
          }
          return;
        }
        this.stopRetransmit();
        if (this.timeoutTimer) clearTimeout(this.timeoutTimer);
        this.timeoutTimer = undefined;
        this.cancelWanted = undefined;
        this.buf = undefined;
        if (this.isInvite && s < 300) {
          this.state = 'accepted';
          this.endTimer = timer(64 * this.ctx.timers.T1, () => this.terminate()); // Timer M
          this.safeEmit('response', res);
          return;
        }
        this.state = 'completed';
        if (this.isInvite) {
          this.ackBuf = this.ackFor(res).toBuffer();
          this.transmit(this.ackBuf);
        }
        this.safeEmit('response', res);
        {
          const wait = this.reliable ? 0 : this.isInvite ? Math.max(32_000, 64 * this.ctx.timers.T1) : this.ctx.timers.T4; // Timer D / K
          if (wait === 0) this.terminate();
          else this.endTimer = timer(wait, () => this.terminate());
        }
        return;
      case 'accepted':
        if (s >= 200 && s < 300) this.safeEmit('response', res);
        return;
      case 'completed':
        // retransmitted final: re-ACK (INVITE), otherwise absorb
        if (this.ackBuf && s >= 300) this.transmit(this.ackBuf);
        return;
      case 'terminated':
        return;
    }
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.stopRetransmit();
    if (this.timeoutTimer) clearTimeout(this.timeoutTimer);
    if (this.endTimer) clearTimeout(this.endTimer);
    this.timeoutTimer = this.endTimer = undefined;
    this.ctx.forget(this);
    this.safeEmit('terminated');
  }

  /** RFC 3261 17.1.1.3: ACK for a non-2xx final response, same branch as the INVITE. */
  private ackFor(res: SipMessage): SipMessage {
    const req = this.request;
    const ack = SipMessage.request('ACK', req.uri);
    const via = req.get('Via');
    if (via) ack.add('Via', via);
    for (const r of req.getAll('Route')) ack.add('Route', r);
    ack.add('Max-Forwards', '70');
    ack.add('From', req.get('From') ?? '');
    ack.add('To', res.get('To') ?? req.get('To') ?? '');
    ack.add('Call-ID', req.callId);
    ack.add('CSeq', `${req.cseq.seq} ACK`);
    return ack;
  }

  private sendCancel(extra: Header[]): void {
    this.cancelSent = true;
    const req = this.request;
    const c = SipMessage.request('CANCEL', req.uri);
    const via = req.get('Via');
    if (via) c.add('Via', via);
    for (const r of req.getAll('Route')) c.add('Route', r);
    c.add('Max-Forwards', '70');
    c.add('From', req.get('From') ?? '');
    c.add('To', req.get('To') ?? '');
    c.add('Call-ID', req.callId);
    c.add('CSeq', `${req.cseq.seq} CANCEL`);
    for (const h of extra) c.add(h.name, h.value);
    try {
      this.ctx.startClient(c, this.dest);
    } catch (err) {
      this.ctx.log.warn({ err: (err as Error).message, callId: req.callId }, 'CANCEL not sent');
    }
    // RFC 3261 9.1: no final response within 64*T1 of the CANCEL -> the INVITE is given up
    if (this.timeoutTimer) clearTimeout(this.timeoutTimer);
    this.timeoutTimer = timer(64 * this.ctx.timers.T1, () => this.onTimeout());
  }

  /** Listener errors are logged, never thrown into timers or the socket handlers (the stack must not crash). */
  private safeEmit(event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch (err) {
      this.ctx.log.error({ err: (err as Error).message, stack: (err as Error).stack, event, callId: this.request.callId }, 'transaction listener threw');
    }
  }

  private transmit(buf: Buffer): void {
    try {
      this.ctx.send(buf, this.dest, (err) => this.onTransportError(err));
    } catch (err) {
      // defer so callers get the transaction object before any event fires
      queueMicrotask(() => this.onTransportError(err as Error));
    }
  }

  private onTransportError(err: Error): void {
    if (this.state === 'terminated' || this.state === 'completed' || this.state === 'accepted') return;
    this.ctx.log.debug({ err: err.message, callId: this.request.callId }, 'transport error');
    this.safeEmit('transport-error', err);
    this.terminate();
  }

  private onRetransmit(): void {
    this.retransmit = undefined;
    if ((this.state !== 'calling' && this.state !== 'trying' && this.state !== 'proceeding') || !this.buf) return;
    this.transmit(this.buf);
    this.retransmitInterval = this.isInvite ? 2 * this.retransmitInterval : Math.min(2 * this.retransmitInterval, this.ctx.timers.T2);
    this.retransmit = timer(this.retransmitInterval, () => this.onRetransmit());
  }

  private onTimeout(): void {
    this.timeoutTimer = undefined;
    if (this.state === 'terminated' || this.state === 'completed' || this.state === 'accepted') return;
    this.ctx.log.debug({ callId: this.request.callId, method: this.request.method }, 'transaction timeout');
    this.stopRetransmit();
    this.cancelWanted = undefined;
    this.safeEmit('response', responseTo(this.request, 408));
    this.safeEmit('timeout');
    this.terminate();
  }

  /** Timer C-like guard: a peer that rings forever gets CANCELed so the transaction cannot leak. */
  private onProceedingTooLong(): void {
    this.timeoutTimer = undefined;
    if (this.state !== 'proceeding') return;
    this.ctx.log.warn({ callId: this.request.callId }, 'INVITE proceeding too long; cancelling');
    if (!this.cancelSent) this.sendCancel([]);
    else this.onTimeout();
  }

  private stopRetransmit(): void {
    if (this.retransmit) clearTimeout(this.retransmit);
    this.retransmit = undefined;
  }
}
