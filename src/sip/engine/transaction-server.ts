import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { copyDialogHeaders, responseTo, type Endpoint, type SipMessage } from './message.js';
import type { TransactionContext } from './transaction-context.js';
import { timer } from './timers.js';
import { newTag } from './uri.js';

export type ServerTxnState = 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

/**
 * RFC 3261 17.2 server transaction (INVITE and non-INVITE), with the RFC 6026 'accepted' state so a
 * retransmitted INVITE after our 2xx is absorbed instead of looking like a new call.
 * Events: 'terminated', 'timeout' (Timer H: no ACK for our non-2xx final response).
 */
export class ServerTransaction extends EventEmitter {
  readonly id = randomUUID();
  readonly kind = 'server' as const;
  readonly isInvite: boolean;
  state: ServerTxnState;
  /** To-tag for responses the stack makes itself (487, 408) when the upper layer has not chosen one. */
  toTag: string | undefined;
  lastResponse: SipMessage | undefined;
  private lastBuf: Buffer | undefined;
  private timerG: NodeJS.Timeout | undefined;
  private timerGInterval = 0;
  private timerEnd: NodeJS.Timeout | undefined;
  private guard: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: TransactionContext,
    readonly key: string,
    readonly request: SipMessage,
    readonly source: Endpoint,
  ) {
    super();
    this.isInvite = request.method === 'INVITE';
    this.state = this.isInvite ? 'proceeding' : 'trying';
    this.toTag = request.toTag;
    // an upper layer that never answers must not keep the transaction forever
    const guardMs = this.isInvite ? ctx.maxInviteProceedingMs : 64 * ctx.timers.T1;
    this.guard = timer(guardMs, () => this.onGuard());
  }

  private get reliable(): boolean {
    return this.source.transport !== 'udp';
  }

  /** Sends a response; Via/From/To/Call-ID/CSeq are copied from the request when missing. */
  respond(res: SipMessage): void {
    if (res.kind !== 'response') throw new Error('respond() takes a response');
    const s = res.status;
    if (this.state === 'terminated' || this.state === 'completed' || this.state === 'confirmed') {
      this.ctx.log.debug({ callId: this.request.callId, status: s, state: this.state }, 'response after final ignored');
      return;
    }
    if (this.state === 'accepted' && !(s >= 200 && s < 300)) return;
    if (s > 100 && !this.toTag && !res.toTag) this.toTag = newTag();
    copyDialogHeaders(this.request, res, this.toTag);
    if (res.toTag) this.toTag = res.toTag;
    this.lastResponse = res;
    this.lastBuf = res.toBuffer();
    this.transmit();
    if (s < 200) {
      if (this.state === 'trying') this.state = 'proceeding';
      return;
    }
    this.clearGuard();
    if (this.isInvite && s < 300) {
      if (this.state === 'accepted') return; // 2xx retransmission by the dialog layer
      // RFC 6026 Timer L: absorb INVITE retransmissions while the dialog layer retransmits the 2xx
      this.state = 'accepted';
      this.lastBuf = undefined; // never resent by the transaction
      this.timerEnd = timer(64 * this.ctx.timers.T1, () => this.terminate());
      return;
    }
    this.state = 'completed';
    if (this.isInvite) {
      if (!this.reliable) {
        this.timerGInterval = this.ctx.timers.T1;
        this.timerG = timer(this.timerGInterval, () => this.onTimerG());
      }
      this.timerEnd = timer(64 * this.ctx.timers.T1, () => {
        this.ctx.log.debug({ callId: this.request.callId }, 'Timer H: no ACK');
        this.safeEmit('timeout');
        this.terminate();
      });
    } else {
      const j = this.reliable ? 0 : 64 * this.ctx.timers.T1;
      if (j === 0) this.terminate();
      else this.timerEnd = timer(j, () => this.terminate());
    }
  }

  /** The same request arrived again: resend the last response (none yet in 'trying'). */
  receiveRetransmission(): void {
    if (this.state === 'proceeding' || this.state === 'completed') this.transmit();
  }

  /** ACK matching this INVITE transaction (non-2xx final). Returns false when it is not ours to absorb. */
  receiveAck(): boolean {
    if (this.state === 'completed') {
      this.state = 'confirmed';
      this.clearTimers();
      const i = this.reliable ? 0 : this.ctx.timers.T4;
      if (i === 0) this.terminate();
      else this.timerEnd = timer(i, () => this.terminate());
      return true;
    }
    return this.state === 'confirmed';
  }

  /** Whether a final response has been sent. */
  get finalSent(): boolean {
    return this.state !== 'trying' && this.state !== 'proceeding';
  }

  /** Ends the transaction now (stack shutdown). */
  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.clearTimers();
    this.clearGuard();
    this.ctx.forget(this);
    this.safeEmit('terminated');
  }

  /** Listener errors are logged, never thrown into timers or the socket handlers (the stack must not crash). */
  private safeEmit(event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch (err) {
      this.ctx.log.error({ err: (err as Error).message, stack: (err as Error).stack, event, callId: this.request.callId }, 'transaction listener threw');
    }
  }

  private transmit(): void {
    if (!this.lastBuf) return;
    try {
      this.ctx.send(this.lastBuf, this.ctx.responseDestination(this.request, this.source), (err) => {
        this.ctx.log.debug({ err: err.message, callId: this.request.callId }, 'response send failed');
      });
    } catch (err) {
      this.ctx.log.warn({ err: (err as Error).message, callId: this.request.callId }, 'response not sent');
    }
  }

  private onTimerG(): void {
    if (this.state !== 'completed') return;
    this.transmit();
    this.timerGInterval = Math.min(2 * this.timerGInterval, this.ctx.timers.T2);
    this.timerG = timer(this.timerGInterval, () => this.onTimerG());
  }

  private onGuard(): void {
    this.guard = undefined;
    if (this.finalSent) return;
    this.ctx.log.warn({ callId: this.request.callId, method: this.request.method }, 'no final response from upper layer; giving up');
    if (this.isInvite) this.respond(responseTo(this.request, 408));
    else this.terminate();
  }

  private clearTimers(): void {
    if (this.timerG) clearTimeout(this.timerG);
    if (this.timerEnd) clearTimeout(this.timerEnd);
    this.timerG = this.timerEnd = undefined;
  }

  private clearGuard(): void {
    if (this.guard) clearTimeout(this.guard);
    this.guard = undefined;
  }
}
