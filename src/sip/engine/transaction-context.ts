import type { Logger } from 'pino';
import type { Endpoint, SipMessage } from './message.js';
import type { SipTimers } from './timers.js';

/** What a transaction needs from the stack: sending, timers, and being forgotten when it ends. */
export interface TransactionContext {
  readonly timers: SipTimers;
  readonly log: Logger;
  /** Sends bytes; `onError` reports transport failures (TCP connect refused, socket errors). */
  send(buf: Buffer, dest: Endpoint, onError?: (err: Error) => void): void;
  /** Where responses for this request go now (RFC 3261 18.2.2, TCP connection reuse). */
  responseDestination(req: SipMessage, source: Endpoint): Endpoint;
  /** Starts a client transaction for a request that already carries its Via (CANCEL reuses the INVITE's). */
  startClient(req: SipMessage, dest: Endpoint): import('./transaction-client.js').ClientTransaction;
  /** Removes the transaction from the stack's tables. */
  forget(txn: { key: string; kind: 'server' | 'client' }): void;
  /** Longest an INVITE may stay without a final response before the stack gives up on it. */
  readonly maxInviteProceedingMs: number;
}
