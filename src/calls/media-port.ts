import type { CollectOptions, CollectResult, PlayOptions, PromptFile, RecordingMeta } from './call-channel.js';

/**
 * What call control needs from the media layer for one call (both legs anchored in one rtpengine call).
 * The "primary" leg is the customer (inbound caller or outbound callee); the "peer" leg is the second
 * party added by bridge(). SipCall codes against this port only; src/media/rtp-call-media.ts
 * implements it over src/media's MediaSession.
 */
export interface CallMedia {
  /** Inbound: the caller's SDP offer in, the rtpengine-anchored SDP to answer the caller with out. */
  answerPrimary(remoteOfferSdp: string, primaryTag: string): Promise<string>;
  /** Outbound: the SDP to offer the callee (rtpengine-anchored). */
  offerPrimary(): Promise<string>;
  /** Outbound: the callee's answer to offerPrimary(). */
  primaryAnswered(remoteAnswerSdp: string, primaryTag: string): Promise<void>;

  /** Bridge: the SDP to offer the second party. */
  offerPeer(): Promise<string>;
  /** Bridge: the second party answered; from now on audio flows primary <-> peer. */
  peerAnswered(remoteAnswerSdp: string, peerTag: string): Promise<void>;
  /** Bridge attempt failed or peer left: forget the peer side (primary stays anchored). */
  dropPeer(): Promise<void>;
  /**
   * A re-INVITE (hold/unhold, new address) from one leg: returns the SDP to answer that leg with.
   * Optional: without it SipCall answers with its previous SDP and the mirrored direction.
   */
  reinvite?(leg: 'primary' | 'peer', sdp: string): Promise<string>;

  /** Plays to the primary leg with the peer blocked. */
  play(files: PromptFile[], opts?: PlayOptions): Promise<{ interrupted: boolean }>;
  /** Stops any prompt or hold loop now (used on hangup and bridge). */
  stopPlayback(): Promise<void>;
  collectDigits(opts: CollectOptions): Promise<CollectResult>;
  /** Every digit the primary leg sends (RFC 2833), in order. Returns an unsubscribe function. */
  onDigit(listener: (digit: string) => void): () => void;
  startHold(file: PromptFile): Promise<void>;
  stopHold(): Promise<void>;

  startRecording(meta: RecordingMeta): Promise<void>;
  pauseRecording(): Promise<void>;
  resumeRecording(): Promise<void>;

  /** Releases everything in rtpengine (delete). Idempotent; must never throw. */
  close(): Promise<void>;
}

/** One CallMedia per call; the call id keys the rtpengine session. */
export interface CallMediaFactory {
  create(callId: string): CallMedia;
}
