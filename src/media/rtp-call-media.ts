import type { Logger } from 'pino';
import type { CollectOptions, CollectResult, PlayOptions, PromptFile, RecordingMeta } from '../calls/call-channel.js';
import type { CallMedia, CallMediaFactory } from '../calls/media-port.js';
import { callLogger } from '../logger.js';
import { CallRecorder } from '../recording/call-recorder.js';
import type { Recording, RecordingStore } from '../recording/recording-store.js';
import { DigitCollector } from './digit-collector.js';
import type { DtmfListener } from './dtmf-listener.js';
import { MediaSession, PEER_TAG, PRIMARY_TAG } from './media-session.js';
import { PromptPlayer } from './prompt-player.js';
import type { RtpengineClient } from './rtpengine-client.js';

/** Shared, process-wide dependencies of every call's media. */
export interface RtpMediaDeps {
  client: RtpengineClient;
  dtmf: DtmfListener;
  log: Logger;
  /** Absent: startRecording() fails with a clear error. */
  recording?: {
    store: RecordingStore;
    /** rtpengine's --recording-dir. */
    spoolDir: string;
    recordingsDir: string;
    /** Called with the stored recording (or the error) after the call ended. */
    onStored?: (r: Recording | undefined, err?: unknown) => void;
  };
  /** ng flags for offer/answer (default DEFAULT_FLAGS of media-session.ts). */
  flags?: string[];
  /** Told when a call starts recording (after rtpengine accepted it). */
  onRecordingStarted?: (rtpengineCallId: string, meta: RecordingMeta) => void | Promise<void>;
}

/**
 * CallMedia (src/calls/media-port.ts) over rtpengine: a MediaSession for the SDP side, a PromptPlayer for
 * prompts/hold, a DigitCollector fed by the DTMF listener for the customer's keys, and a CallRecorder.
 * close() stops playback, deletes the rtpengine call, then turns the recording into a WAV in the background.
 */
export class RtpCallMedia implements CallMedia {
  readonly session: MediaSession;
  readonly digits = new DigitCollector();
  private readonly player: PromptPlayer;
  private readonly recorder?: CallRecorder;
  private readonly offDtmf: () => void;
  private closing?: Promise<void>;
  private readonly log: Logger;
  /** Resolves with the stored recording once close() has finished converting it. */
  recordingDone?: Promise<Recording | undefined>;

  constructor(
    readonly callId: string,
    private readonly deps: RtpMediaDeps,
    private readonly onClosed?: (callId: string) => void,
  ) {
    this.log = callLogger(deps.log, callId, { mod: 'media' });
    this.session = new MediaSession({ client: deps.client, callId, log: this.log, flags: deps.flags });
    this.player = new PromptPlayer({ client: deps.client, callId, log: this.log, digits: this.digits });
    this.offDtmf = deps.dtmf.subscribe(callId, (e) => this.digits.push(e.digit), PRIMARY_TAG);
    if (deps.recording) {
      this.recorder = new CallRecorder({
        client: deps.client,
        callId,
        spoolDir: deps.recording.spoolDir,
        recordingsDir: deps.recording.recordingsDir,
        store: deps.recording.store,
        log: this.log,
        primaryPorts: () => [...this.session.localPorts.primary],
      });
    }
  }

  answerPrimary(remoteOfferSdp: string, primaryTag: string): Promise<string> {
    this.log.debug({ sipTag: primaryTag }, 'anchoring inbound leg');
    return this.session.answerPrimary(remoteOfferSdp);
  }

  offerPrimary(): Promise<string> {
    return this.session.offerPrimary();
  }

  primaryAnswered(remoteAnswerSdp: string, primaryTag: string): Promise<void> {
    this.log.debug({ sipTag: primaryTag }, 'outbound leg answered');
    return this.session.primaryAnswered(remoteAnswerSdp);
  }

  offerPeer(): Promise<string> {
    return this.session.offerPeer();
  }

  peerAnswered(remoteAnswerSdp: string, peerTag: string): Promise<void> {
    this.log.debug({ sipTag: peerTag }, 'peer answered');
    return this.session.peerAnswered(remoteAnswerSdp);
  }

  dropPeer(): Promise<void> {
    return this.session.dropPeer();
  }

  /** Re-INVITE (hold/unhold) from either leg: the SDP to answer that leg with. */
  reinvite(from: 'primary' | 'peer', sdp: string): Promise<string> {
    return this.session.reinvite(from, sdp);
  }

  async play(files: PromptFile[], opts: PlayOptions = {}): Promise<{ interrupted: boolean }> {
    if (this.session.closed) return { interrupted: true };
    const r = await this.player.play({ files, to: PRIMARY_TAG, block: this.session.hasPeer ? [PEER_TAG] : [], bargeIn: opts.bargeIn });
    return { interrupted: r.interrupted };
  }

  /**
   * RFC 2833 digits injected towards one leg (e.g. navigating a remote IVR after a transfer). rtpengine's
   * `play DTMF` injects into the media *from* the given tag, so the other leg's tag is used; that leg must
   * be sending RTP (rtpengine 10.5: "No SSRC context present for DTMF injection" otherwise).
   */
  async sendDigits(to: 'primary' | 'peer', digits: string, durationMs = 160): Promise<void> {
    const fromTag = to === 'primary' ? PEER_TAG : PRIMARY_TAG;
    for (const code of digits) {
      await this.deps.client.playDtmf({ callId: this.callId, fromTag, code, durationMs });
      await new Promise((r) => setTimeout(r, durationMs + 80));
    }
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
    return this.player.startHold(file, PRIMARY_TAG, this.session.hasPeer ? [PEER_TAG] : []);
  }

  stopHold(): Promise<void> {
    return this.player.stopHold();
  }

  async startRecording(meta: RecordingMeta): Promise<void> {
    if (!this.recorder) throw new Error('recording is not configured (RtpMediaDeps.recording)');
    await this.recorder.start(meta);
    await this.deps.onRecordingStarted?.(this.callId, meta);
  }

  /** Adds metadata learnt after start (agent, queue) to the pending recording. */
  updateRecording(meta: Partial<RecordingMeta>): void {
    this.recorder?.update(meta);
  }

  async pauseRecording(): Promise<void> {
    await this.recorder?.pause();
  }

  async resumeRecording(): Promise<void> {
    await this.recorder?.resume();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.offDtmf();
      this.digits.close();
      await this.player.stop().catch(() => undefined);
      await this.session.close();
      this.onClosed?.(this.callId);
      if (this.recorder?.started) {
        const s = this.session;
        const sel = (role: 'primary' | 'peer') => ({ dstPorts: [...s.localPorts[role]], sources: s.remoteEndpoints[role] });
        this.recordingDone = this.recorder.finalize({ left: sel('primary'), right: sel('peer') });
        this.recordingDone.then(
          (r) => this.deps.recording?.onStored?.(r),
          (err) => {
            this.log.error({ err }, 'recording conversion failed');
            this.deps.recording?.onStored?.(undefined, err);
          },
        );
      }
    })().catch((err) => this.log.error({ err }, 'media close failed'));
    return this.closing;
  }
}

export class RtpCallMediaFactory implements CallMediaFactory {
  private readonly open = new Set<string>();
  constructor(private readonly deps: RtpMediaDeps) {}
  create(callId: string): RtpCallMedia {
    this.open.add(callId);
    return new RtpCallMedia(callId, this.deps, (id) => this.open.delete(id));
  }
  /** Calls whose media is still open in this process (recoverOrphanRecordings' activeCallIds). */
  activeCallIds(): Set<string> {
    return new Set(this.open);
  }
}
