import type { Logger } from 'pino';
import { RtpengineError, type RtpengineClient, type OfferOptions } from './rtpengine-client.js';
import { MIRROR_DIRECTION, audioEndpoint, blackHoleSdp, sdpDirection, withDirection, type MediaEndpoint } from './sdp.js';

/**
 * One rtpengine call for one customer call, with two fixed participants:
 * - PRIMARY_TAG: the customer (inbound caller or outbound callee);
 * - PEER_TAG: whoever is bridged to the customer (agent, transfer target), or, until then, a black-hole
 *   stand-in (blackHoleSdp) so rtpengine has a complete offer/answer and can play prompts to the customer.
 *
 * The tags are ours, not SIP tags: the peer always takes over the same rtpengine participant, so a bridge is
 * a re-offer/answer between the same two participants, and with the port-latching flag the customer's
 * rtpengine port never changes (no re-INVITE towards the customer is needed; asserted in the e2e tests).
 *
 * Every method that fails after rtpengine created state leaves cleanup to close(), which is idempotent and
 * never throws; answerPrimary/offerPrimary delete the call themselves when they fail.
 */
export const PRIMARY_TAG = 'primary';
export const PEER_TAG = 'peer';
export type LegRole = 'primary' | 'peer';
export const DEFAULT_FLAGS = ['inject-DTMF', 'port-latching'];

export interface MediaSessionOptions {
  client: RtpengineClient;
  /** rtpengine call-id; use the customer leg's SIP Call-ID so logs, DTMF and pcaps line up. */
  callId: string;
  log: Logger;
  /**
   * ng flags on every offer/answer. Default ['inject-DTMF', 'port-latching']: inject-DTMF is needed on both
   * sides for play DTMF; port-latching keeps rtpengine's local ports when the other side's endpoint changes
   * (measured on 10.5: without it the bridge answer and every re-INVITE move the customer to a new port).
   */
  flags?: string[];
  /** Address for the black-hole stand-in as seen from rtpengine. */
  blackHoleAddress?: string;
}

export class MediaSessionClosedError extends Error {
  constructor(callId: string) {
    super(`media session ${callId} is closed`);
    this.name = 'MediaSessionClosedError';
  }
}

export type MediaSessionState = 'new' | 'offered' | 'anchored' | 'bridging' | 'bridged' | 'closed';

export class MediaSession {
  readonly callId: string;
  private _state: MediaSessionState = 'new';
  /** The customer's own SDP (offer for inbound, answer for outbound), reused as the offer towards a peer. */
  private primarySdp?: string;
  private peerSdp?: string;
  /** rtpengine ports handed out per participant (a pcap packet's destination port tells its leg). */
  readonly localPorts: Record<LegRole, Set<number>> = { primary: new Set(), peer: new Set() };
  readonly remoteEndpoints: Record<LegRole, MediaEndpoint[]> = { primary: [], peer: [] };
  private chain: Promise<unknown> = Promise.resolve();
  private closing?: Promise<void>;
  private readonly log: Logger;

  constructor(private readonly o: MediaSessionOptions) {
    this.callId = o.callId;
    this.log = o.log;
  }

  get state(): MediaSessionState {
    return this._state;
  }

  get closed(): boolean {
    return this._state === 'closed';
  }

  get hasPeer(): boolean {
    return this._state === 'bridged';
  }

  /** Inbound: the caller's offer in, the anchored SDP to answer the caller with out. */
  answerPrimary(offerSdp: string): Promise<string> {
    return this.serial('answerPrimary', async () => {
      if (this._state !== 'new') throw new Error(`answerPrimary in state ${this._state}`);
      try {
        this.primarySdp = offerSdp;
        this.noteRemote('primary', offerSdp);
        const toPeer = await this.o.client.offer(this.sdpOpts(PRIMARY_TAG, offerSdp));
        this.notePorts('peer', toPeer.sdp);
        // the stand-in answers with exactly the caller's codecs, so the caller is never answered with one it did not offer
        const toPrimary = await this.o.client.answer({ ...this.sdpOpts(PRIMARY_TAG, this.blackHole(1, offerSdp)), toTag: PEER_TAG });
        this.notePorts('primary', toPrimary.sdp);
        this._state = 'anchored';
        return toPrimary.sdp;
      } catch (err) {
        await this.deleteQuietly();
        throw err;
      }
    });
  }

  /** Outbound: the anchored SDP to offer the callee. */
  offerPrimary(): Promise<string> {
    return this.serial('offerPrimary', async () => {
      if (this._state !== 'new') throw new Error(`offerPrimary in state ${this._state}`);
      try {
        const toPrimary = await this.o.client.offer(this.sdpOpts(PEER_TAG, this.blackHole()));
        this.notePorts('primary', toPrimary.sdp);
        this._state = 'offered';
        return toPrimary.sdp;
      } catch (err) {
        await this.deleteQuietly();
        throw err;
      }
    });
  }

  /** Outbound: the callee's answer to offerPrimary(). */
  primaryAnswered(answerSdp: string): Promise<void> {
    return this.serial('primaryAnswered', async () => {
      if (this._state !== 'offered') throw new Error(`primaryAnswered in state ${this._state}`);
      this.primarySdp = answerSdp;
      this.noteRemote('primary', answerSdp);
      const toPeer = await this.o.client.answer({ ...this.sdpOpts(PEER_TAG, answerSdp), toTag: PRIMARY_TAG });
      this.notePorts('peer', toPeer.sdp);
      this._state = 'anchored';
    });
  }

  /** Bridge step 1: the SDP to offer the second party (rtpengine's peer-side port, stable across attempts). */
  offerPeer(): Promise<string> {
    return this.serial('offerPeer', async () => {
      if (this._state !== 'anchored') throw new Error(`offerPeer in state ${this._state}`);
      const toPeer = await this.o.client.offer({ ...this.sdpOpts(PRIMARY_TAG, this.primarySdp as string), toTag: PEER_TAG });
      this.notePorts('peer', toPeer.sdp);
      this._state = 'bridging';
      return toPeer.sdp;
    });
  }

  /** Bridge step 2: the second party's answer; from now on media flows primary <-> peer. */
  peerAnswered(answerSdp: string): Promise<void> {
    return this.serial('peerAnswered', async () => {
      if (this._state !== 'bridging') throw new Error(`peerAnswered in state ${this._state}`);
      this.peerSdp = answerSdp;
      this.noteRemote('peer', answerSdp);
      const toPrimary = await this.o.client.answer({ ...this.sdpOpts(PRIMARY_TAG, answerSdp), toTag: PEER_TAG });
      this.notePorts('primary', toPrimary.sdp);
      this._state = 'bridged';
    });
  }

  /** The bridge attempt failed or the peer left: the stand-in takes the peer's place again. Never throws. */
  dropPeer(): Promise<void> {
    return this.serial('dropPeer', async () => {
      if (this._state !== 'bridging' && this._state !== 'bridged') return;
      try {
        if (this._state === 'bridged') await this.o.client.offer({ ...this.sdpOpts(PRIMARY_TAG, this.primarySdp as string), toTag: PEER_TAG });
        await this.o.client.answer({ ...this.sdpOpts(PRIMARY_TAG, this.blackHole(2)), toTag: PEER_TAG });
        this.peerSdp = undefined;
        this._state = 'anchored';
      } catch (err) {
        this.log.warn({ err }, 'dropPeer: rtpengine re-answer failed');
        this._state = 'anchored';
      }
    }).catch((err) => {
      if (!(err instanceof MediaSessionClosedError)) this.log.warn({ err }, 'dropPeer failed');
    });
  }

  /**
   * A re-INVITE from one leg (hold/unhold, new address): rtpengine learns the new SDP and returns the SDP
   * to answer that leg with. The other leg's last SDP completes the exchange, so the other leg needs no
   * re-INVITE (its rtpengine port is unchanged).
   */
  reinvite(from: LegRole, sdp: string): Promise<string> {
    return this.serial('reinvite', async () => {
      if (this._state !== 'anchored' && this._state !== 'bridged') throw new Error(`reinvite in state ${this._state}`);
      const fromTag = from === 'primary' ? PRIMARY_TAG : PEER_TAG;
      const toTag = from === 'primary' ? PEER_TAG : PRIMARY_TAG;
      if (from === 'primary') this.primarySdp = sdp;
      else this.peerSdp = sdp;
      this.noteRemote(from, sdp);
      // the other leg "answers" with its last SDP, direction mirrored (hold: sendonly -> recvonly)
      const last = from === 'primary' ? (this.peerSdp ?? this.blackHole(3)) : (this.primarySdp as string);
      const other = withDirection(last, MIRROR_DIRECTION[sdpDirection(sdp)]);
      await this.o.client.offer({ ...this.sdpOpts(fromTag, sdp), toTag });
      const back = await this.o.client.answer({ ...this.sdpOpts(fromTag, other), toTag });
      this.notePorts(from, back.sdp);
      return back.sdp;
    });
  }

  tagOf(role: LegRole): string {
    return role === 'primary' ? PRIMARY_TAG : PEER_TAG;
  }

  /** Deletes the rtpengine call now (no delete-delay). Idempotent; never throws. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = this.chain.catch(() => undefined).then(async () => {
        const had = this._state !== 'new';
        this._state = 'closed';
        if (had) await this.deleteQuietly();
      });
    }
    return this.closing;
  }

  private async deleteQuietly(): Promise<void> {
    try {
      await this.o.client.delete({ callId: this.callId, deleteDelay: 0 });
    } catch (err) {
      // rtpengine's own timeout (--timeout) reaps calls that lost their delete
      this.log.warn({ err }, 'rtpengine delete failed');
    }
  }

  private serial<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const run = async () => {
      if (this._state === 'closed' || this.closing) throw new MediaSessionClosedError(this.callId);
      try {
        return await fn();
      } catch (err) {
        if (err instanceof RtpengineError) this.log.warn({ op: what, reason: err.reason, kind: err.kind }, 'rtpengine command failed');
        throw err;
      }
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private sdpOpts(fromTag: string, sdp: string): OfferOptions {
    return {
      callId: this.callId,
      fromTag,
      sdp,
      flags: this.o.flags ?? DEFAULT_FLAGS,
      replace: ['origin', 'session-connection'],
      ice: 'remove',
    };
  }

  private blackHole(version = 1, codecsOf = this.primarySdp): string {
    return blackHoleSdp({ address: this.o.blackHoleAddress, sessionVersion: version, codecsOf });
  }

  private notePorts(role: LegRole, sdp: string): void {
    const ep = audioEndpoint(sdp);
    if (ep) this.localPorts[role].add(ep.port);
  }

  private noteRemote(role: LegRole, sdp: string): void {
    const ep = audioEndpoint(sdp);
    if (ep && !this.remoteEndpoints[role].some((e) => e.address === ep.address && e.port === ep.port)) this.remoteEndpoints[role].push(ep);
  }
}
