import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { callLogger } from '../logger.js';
import type {
  BridgeResult,
  BridgeTarget,
  CallChannel,
  CollectOptions,
  CollectResult,
  PlayOptions,
  PromptFile,
  RecordingMeta,
} from './call-channel.js';
import type { CallMedia } from './media-port.js';
import { answerWithDirection, sdpDirection } from './sdp-direction.js';
import type { DialogLike, SrfLike, SrfRequestLike, SrfResponseLike } from './srf-types.js';
import { placeInvite } from './uac-invite.js';

export interface SipCallOptions {
  srf: SrfLike;
  /** The customer's dialog: UAS for inbound, UAC for outbound. */
  dialog: DialogLike;
  media: CallMedia;
  direction: 'inbound' | 'outbound';
  remoteNumber: string;
  localNumber: string;
  log: Logger;
  /** Ring time for bridge() when the target does not say. */
  defaultRingTimeoutMs?: number;
  /** Outbound proxy for bridge targets (none: send straight to the URI's host). */
  bridgeProxy?: string;
  /** Wait for the final response after a CANCEL before giving up locally (default 3000). */
  cancelGraceMs?: number;
  /**
   * Hard cap on call length: hang up after this long. Guards against far ends that vanish without BYE
   * (no session timers on plain SIP trunks/softphones); none by default.
   */
  maxDurationMs?: number;
}

export interface AnswerOptions {
  srf: SrfLike;
  req: SrfRequestLike;
  res: SrfResponseLike;
  media: CallMedia;
  log: Logger;
  localNumber: string;
  defaultRingTimeoutMs?: number;
  bridgeProxy?: string;
  maxDurationMs?: number;
  cancelGraceMs?: number;
}

const tagOf = (nameAddr: string): string => /;\s*tag=([^;>\s]+)/i.exec(nameAddr)?.[1] ?? '';

/**
 * A CallChannel over real SIP (drachtio-srf dialogs) with media anchored in rtpengine.
 * Invariant: whatever ends the call (either side's BYE, local hangup, a failure), both legs get BYE
 * once and the rtpengine session is deleted once; 'hangup' is emitted exactly once.
 */
export class SipCall extends EventEmitter implements CallChannel {
  readonly callId: string;
  readonly direction: 'inbound' | 'outbound';
  readonly remoteNumber: string;
  readonly localNumber: string;
  answeredAt?: Date;
  private _ended = false;
  private peer?: DialogLike;
  private bridging = false;
  /** The customer's BYE arrived: srf already released that dialog. */
  private customerGone = false;
  private readonly abort = new AbortController();
  private readonly endedPromise: Promise<void>;
  private resolveEnded!: () => void;
  private readonly offDigit: () => void;
  private readonly log: Logger;
  private maxDurationTimer?: NodeJS.Timeout;

  /** Answers an incoming INVITE with rtpengine-anchored SDP; throws (and releases media) if the caller is gone first. */
  static async answer(o: AnswerOptions): Promise<SipCall> {
    const callId = o.req.get('Call-ID');
    const log = callLogger(o.log, callId);
    let cancelled = false;
    o.req.on('cancel', () => (cancelled = true));
    try {
      const localSdp = await o.media.answerPrimary(o.req.body, tagOf(o.req.get('From')));
      if (cancelled) throw Object.assign(new Error('caller cancelled before answer'), { status: 487 });
      const dialog = await o.srf.createUAS(o.req, o.res, { localSdp, headers: { 'Content-Type': 'application/sdp' } });
      const call = new SipCall({
        srf: o.srf,
        dialog,
        media: o.media,
        direction: 'inbound',
        remoteNumber: o.req.callingNumber,
        localNumber: o.localNumber,
        log: o.log,
        defaultRingTimeoutMs: o.defaultRingTimeoutMs,
        bridgeProxy: o.bridgeProxy,
        maxDurationMs: o.maxDurationMs,
        cancelGraceMs: o.cancelGraceMs,
      });
      log.info({ from: call.remoteNumber, did: call.localNumber }, 'inbound call answered');
      return call;
    } catch (err) {
      log.info({ status: (err as { status?: number }).status, err: (err as Error).message }, 'inbound call not answered');
      await o.media.close();
      // after a CANCEL the server has already answered 487; otherwise tell the caller we failed
      if (!cancelled && !o.res.finalResponseSent) o.res.send(500);
      throw err;
    }
  }

  constructor(private readonly o: SipCallOptions) {
    super();
    this.callId = o.dialog.sip.callId;
    this.direction = o.direction;
    this.remoteNumber = o.remoteNumber;
    this.localNumber = o.localNumber;
    this.answeredAt = new Date();
    this.log = callLogger(o.log, this.callId, { direction: o.direction });
    this.endedPromise = new Promise((r) => (this.resolveEnded = r));
    this.offDigit = o.media.onDigit((digit) => {
      if (!this._ended) this.emit('dtmf', digit);
    });
    o.dialog.on('destroy', () => {
      this.customerGone = true;
      this.log.info('customer hung up');
      void this.end('remote');
    });
    o.dialog.on('modify', (req: SrfRequestLike, res: SrfResponseLike) => this.onReinvite('customer', o.dialog, req, res));
    if (o.maxDurationMs) {
      this.maxDurationTimer = setTimeout(() => {
        this.log.warn({ maxDurationMs: o.maxDurationMs }, 'call reached its maximum duration; hanging up');
        void this.end('local');
      }, o.maxDurationMs);
      this.maxDurationTimer.unref();
    }
  }

  get ended(): boolean {
    return this._ended;
  }

  /** Resolves once the call has ended (both legs released). */
  whenEnded(): Promise<void> {
    return this.endedPromise;
  }

  get isBridged(): boolean {
    return this.peer !== undefined;
  }

  async play(files: PromptFile[], opts?: PlayOptions): Promise<{ interrupted: boolean }> {
    if (this._ended) return { interrupted: true };
    return Promise.race([this.o.media.play(files, opts), this.endedPromise.then(() => ({ interrupted: true }))]);
  }

  async collectDigits(opts: CollectOptions): Promise<CollectResult> {
    if (this._ended) return { digits: '', reason: 'hangup' };
    return Promise.race([
      this.o.media.collectDigits(opts),
      this.endedPromise.then(() => ({ digits: '', reason: 'hangup' as const })),
    ]);
  }

  async startHold(file: PromptFile): Promise<void> {
    if (!this._ended) await this.o.media.startHold(file);
  }

  async stopHold(): Promise<void> {
    if (!this._ended) await this.o.media.stopHold();
  }

  async startRecording(meta: RecordingMeta): Promise<void> {
    if (this._ended) throw new Error(`call ${this.callId} has ended`);
    await this.o.media.startRecording(meta);
    this.log.info({ meta }, 'recording started');
  }

  async pauseRecording(): Promise<void> {
    if (!this._ended) await this.o.media.pauseRecording();
  }

  async resumeRecording(): Promise<void> {
    if (!this._ended) await this.o.media.resumeRecording();
  }

  async bridge(target: BridgeTarget): Promise<BridgeResult> {
    if (this._ended) return { outcome: 'caller-gone' };
    if (this.peer || this.bridging) {
      this.log.warn({ uri: target.uri }, 'bridge() while already bridged or bridging');
      return { outcome: 'failed' };
    }
    this.bridging = true;
    const log = this.log.child({ bridgeTo: target.uri });
    try {
      const offer = await this.o.media.offerPeer();
      const r = await placeInvite(this.o.srf, {
        uri: target.uri,
        localSdp: offer,
        ringTimeoutMs: target.ringTimeoutMs ?? this.o.defaultRingTimeoutMs ?? 30_000,
        headers: target.headers,
        callerId: target.callerId ?? this.remoteNumber,
        proxy: this.o.bridgeProxy,
        log,
        abort: this.abort.signal,
        cancelGraceMs: this.o.cancelGraceMs,
      });
      if (!r.ok) {
        await this.o.media.dropPeer();
        if (this._ended || r.aborted) return { outcome: 'caller-gone', sipStatus: r.sipStatus };
        log.info({ outcome: r.outcome, sipStatus: r.sipStatus }, 'bridge failed');
        return { outcome: r.outcome, sipStatus: r.sipStatus };
      }
      const dialog = r.dialog;
      if (this._ended) {
        await dialog.destroy().catch(() => undefined);
        await this.o.media.dropPeer();
        return { outcome: 'caller-gone' };
      }
      this.peer = dialog;
      dialog.on('destroy', () => {
        log.info('bridged party hung up');
        this.peer = undefined;
        this.emit('unbridged');
        void this.end('remote');
      });
      dialog.on('modify', (req: SrfRequestLike, res: SrfResponseLike) => this.onReinvite('peer', dialog, req, res));
      try {
        await this.o.media.stopPlayback();
        await this.o.media.peerAnswered(dialog.remote.sdp, dialog.sip.remoteTag);
      } catch (err) {
        if (this._ended) return { outcome: 'caller-gone' };
        log.error({ err }, 'media bridge failed; releasing both legs');
        await this.end('local');
        return { outcome: 'failed' };
      }
      const legCallId = dialog.sip.callId;
      log.info({ legCallId }, 'bridged');
      this.emit('bridged', legCallId);
      return { outcome: 'bridged', legCallId };
    } catch (err) {
      log.error({ err }, 'bridge error');
      await this.o.media.dropPeer().catch(() => undefined);
      return { outcome: this._ended ? 'caller-gone' : 'failed' };
    } finally {
      this.bridging = false;
    }
  }

  async hangup(): Promise<void> {
    await this.end('local');
  }

  /** Hold/unhold or any re-INVITE: answered here with our anchored SDP and the mirrored direction (rtpengine ports do not change). */
  private onReinvite(leg: 'customer' | 'peer', dialog: DialogLike, req: SrfRequestLike, res: SrfResponseLike): void {
    const offered = req.body ? sdpDirection(req.body) : 'sendrecv';
    const respond = (body: string) => {
      dialog.local.sdp = body;
      this.log.info({ leg, sdpDirection: offered }, 're-INVITE answered');
      res.send(200, { body, headers: { 'Content-Type': 'application/sdp' } });
      this.emit(offered === 'sendrecv' ? 'unhold' : 'hold', leg);
    };
    const fallback = () => answerWithDirection(dialog.local.sdp, offered);
    if (!req.body || !this.o.media.reinvite || this._ended) return respond(fallback());
    // rtpengine learns the new SDP (address change, direction) and gives the answer for that leg
    this.o.media.reinvite(leg === 'customer' ? 'primary' : 'peer', req.body).then(respond, (err) => {
      this.log.warn({ err, leg }, 'media re-INVITE failed; answering with the previous SDP');
      respond(fallback());
    });
  }

  private async end(by: 'remote' | 'local'): Promise<void> {
    if (this._ended) return this.endedPromise;
    this._ended = true;
    clearTimeout(this.maxDurationTimer);
    this.abort.abort();
    this.offDigit();
    const peer = this.peer;
    this.peer = undefined;
    const byes: Promise<unknown>[] = [];
    // srf removes a dialog after a remote BYE, so destroy() only legs still up
    if (!this.customerGone) byes.push(this.o.dialog.destroy().catch(() => undefined));
    if (peer) {
      this.emit('unbridged');
      byes.push(peer.destroy().catch(() => undefined));
    }
    try {
      await this.o.media.stopPlayback().catch(() => undefined);
      await Promise.all(byes);
    } finally {
      await this.o.media.close();
      this.log.info({ by }, 'call ended');
      this.emit('hangup', by);
      this.resolveEnded();
    }
  }
}
