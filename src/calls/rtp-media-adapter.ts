import type { Logger } from 'pino';
import { callLogger } from '../logger.js';
import { DigitCollector } from '../media/digit-collector.js';
import type { DtmfListener } from '../media/dtmf-listener.js';
import { MediaSession, PEER_TAG, PRIMARY_TAG } from '../media/media-session.js';
import { PromptPlayer } from '../media/prompt-player.js';
import type { RtpengineClient } from '../media/rtpengine-client.js';
import type { CollectOptions, CollectResult, PlayOptions, PromptFile, RecordingMeta } from './call-channel.js';
import type { CallMedia, CallMediaFactory } from './media-port.js';

export interface RtpCallMediaOptions {
  client: RtpengineClient;
  /** The process-wide DTMF feed (started by the caller). */
  dtmf: DtmfListener;
  log: Logger;
  /**
   * Called on startRecording with the call's rtpengine id and the meta (the recording module indexes
   * pcaps by it). Absent: recording is started in rtpengine and the meta only logged.
   */
  onRecordingStarted?: (rtpengineCallId: string, meta: RecordingMeta) => void | Promise<void>;
}

/**
 * CallMedia over src/media's parts: MediaSession (anchoring, bridge offer/answer), PromptPlayer (prompts
 * to the customer with the peer blocked, hold loop), DigitCollector fed by the DtmfListener (type-ahead).
 * A thin glue layer: all rtpengine behaviour lives in src/media.
 */
class RtpCallMedia implements CallMedia {
  private readonly session: MediaSession;
  private readonly digits = new DigitCollector();
  private readonly player: PromptPlayer;
  private readonly unsubscribe: () => void;
  private closed?: Promise<void>;

  constructor(
    private readonly callId: string,
    private readonly o: RtpCallMediaOptions,
  ) {
    const log = callLogger(o.log, callId, { component: 'media' });
    this.session = new MediaSession({ client: o.client, callId, log });
    this.player = new PromptPlayer({ client: o.client, callId, log, digits: this.digits });
    // only the customer's keys drive the IVR; an agent's keypad must not answer the caller's menu
    this.unsubscribe = o.dtmf.subscribe(callId, (e) => this.digits.push(e.digit), PRIMARY_TAG);
  }

  answerPrimary(remoteOfferSdp: string): Promise<string> {
    return this.session.answerPrimary(remoteOfferSdp);
  }
  offerPrimary(): Promise<string> {
    return this.session.offerPrimary();
  }
  primaryAnswered(remoteAnswerSdp: string): Promise<void> {
    return this.session.primaryAnswered(remoteAnswerSdp);
  }
  offerPeer(): Promise<string> {
    return this.session.offerPeer();
  }
  peerAnswered(remoteAnswerSdp: string): Promise<void> {
    return this.session.peerAnswered(remoteAnswerSdp);
  }
  dropPeer(): Promise<void> {
    return this.session.dropPeer();
  }
  reinvite(leg: 'primary' | 'peer', sdp: string): Promise<string> {
    return this.session.reinvite(leg, sdp);
  }

  async play(files: PromptFile[], opts?: PlayOptions): Promise<{ interrupted: boolean }> {
    const r = await this.player.play({ files, to: PRIMARY_TAG, block: [PEER_TAG], bargeIn: opts?.bargeIn });
    return { interrupted: r.interrupted };
  }
  stopPlayback(): Promise<void> {
    return this.player.stop();
  }
  collectDigits(opts: CollectOptions): Promise<CollectResult> {
    return this.digits.collectDigits(opts);
  }
  onDigit(listener: (digit: string) => void): () => void {
    return this.digits.onDigit(listener);
  }
  startHold(file: PromptFile): Promise<void> {
    return this.player.startHold(file, PRIMARY_TAG, [PEER_TAG]);
  }
  stopHold(): Promise<void> {
    return this.player.stopHold();
  }

  async startRecording(meta: RecordingMeta): Promise<void> {
    await this.o.client.startRecording({ callId: this.callId });
    await this.o.onRecordingStarted?.(this.callId, meta);
  }
  pauseRecording(): Promise<void> {
    return this.o.client.pauseRecording({ callId: this.callId });
  }
  resumeRecording(): Promise<void> {
    return this.o.client.resumeRecording({ callId: this.callId });
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = (async () => {
        this.unsubscribe();
        this.digits.close();
        await this.player.stop().catch(() => undefined);
        await this.session.close();
      })();
    }
    return this.closed;
  }
}

export class RtpCallMediaFactory implements CallMediaFactory {
  constructor(private readonly o: RtpCallMediaOptions) {}
  create(callId: string): CallMedia {
    return new RtpCallMedia(callId, this.o);
  }
}
