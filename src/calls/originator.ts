import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { callLogger } from '../logger.js';
import type { CallChannel } from './call-channel.js';
import type { CallRegistry } from './call-registry.js';
import type { CallMediaFactory } from './media-port.js';
import { SipCall } from './sip-call.js';
import type { SrfLike } from './srf-types.js';
import { placeInvite } from './uac-invite.js';

export interface OriginateRequest {
  /** Destination number (E.164 with +, or national digits as the trunk expects). */
  to: string;
  callerId: string;
  ringTimeoutMs?: number;
  /** Trunk URI template for this call, `{number}` replaced by the destination; default from the Originator options. */
  trunk?: string;
  /** Outbound proxy for this call; default from the Originator options. */
  proxy?: string;
  headers?: Record<string, string>;
  /** Destinations must start with one of these (same form as `to`); default from the Originator options. */
  allowedPrefixes?: string[];
}

export type OriginateResult =
  | { outcome: 'answered'; call: CallChannel }
  | { outcome: 'busy' | 'no-answer' | 'rejected' | 'failed'; sipStatus?: number };

export interface OriginatorOptions {
  srf: SrfLike;
  media: CallMediaFactory;
  log: Logger;
  /** e.g. `sip:{number}@127.0.0.1:5080` (tests) or `sip:{number}@trunk.example.net`. */
  trunkUriTemplate: string;
  outboundProxy?: string;
  /** Used when a request brings none. Empty = every destination refused (fail closed). */
  allowedPrefixes?: string[];
  defaultRingTimeoutMs?: number;
  /** Wait for the final response after a CANCEL before giving up locally (default 3000). */
  cancelGraceMs?: number;
  registry?: CallRegistry;
}

/** Thrown before any SIP is sent when a destination is malformed or outside the allowed prefixes. */
export class TollFraudError extends Error {
  constructor(
    readonly destination: string,
    reason: string,
  ) {
    super(`outbound call to ${JSON.stringify(destination)} refused: ${reason}`);
    this.name = 'TollFraudError';
  }
}

/** Strips the visual separators people type; anything left must be digits with an optional leading +. */
export function normalizeDestination(to: string): string {
  return to.replace(/[\s\-().]/g, '');
}

/** The toll-fraud guard: returns the normalized number or throws TollFraudError. */
export function checkDestination(to: string, allowedPrefixes: readonly string[]): string {
  const n = normalizeDestination(to);
  if (!/^\+?\d{3,20}$/.test(n)) throw new TollFraudError(to, 'not a phone number');
  const prefixes = allowedPrefixes.map(normalizeDestination).filter((p) => p.length > 0);
  if (prefixes.length === 0) throw new TollFraudError(to, 'no allowed destination prefixes configured');
  if (!prefixes.some((p) => n.startsWith(p))) throw new TollFraudError(to, `not within allowed prefixes ${prefixes.join(', ')}`);
  return n;
}

/** Outbound calls for the dialer and scheduled reminders: guard, INVITE through the trunk, map the outcome. */
export class Originator {
  constructor(private readonly o: OriginatorOptions) {}

  async originate(req: OriginateRequest): Promise<OriginateResult> {
    const { uri, number } = this.trunkUriFor(req.to, req);
    return this.place({ uri, remoteNumber: number, proxy: req.proxy ?? this.o.outboundProxy, req });
  }

  /**
   * The trunk URI for a customer number, through the toll-fraud guard (throws TollFraudError): for bridging an
   * existing leg (e.g. an agent's) out to a customer with CallChannel.bridge().
   */
  trunkUriFor(to: string, o: { trunk?: string; allowedPrefixes?: string[] } = {}): { uri: string; number: string } {
    const number = checkDestination(to, o.allowedPrefixes ?? this.o.allowedPrefixes ?? []);
    return { uri: (o.trunk ?? this.o.trunkUriTemplate).replaceAll('{number}', number), number };
  }

  /**
   * Rings an internal SIP contact (an agent's registered softphone) directly: no trunk, no outbound proxy and no
   * toll-fraud guard (the URI comes from our own registrar, never from a caller). The call's bridge() still goes out
   * through the outbound proxy, so agent-first dialling can then bridge to a customer via trunkUriFor().
   */
  async callContact(req: { uri: string; callerId: string; ringTimeoutMs?: number; headers?: Record<string, string> }): Promise<OriginateResult> {
    const user = /^sips?:([^@;>]+)@/.exec(req.uri)?.[1] ?? req.uri;
    return this.place({ uri: req.uri, remoteNumber: user, proxy: undefined, req });
  }

  private async place(p: { uri: string; remoteNumber: string; proxy: string | undefined; req: Pick<OriginateRequest, 'callerId' | 'ringTimeoutMs' | 'headers'> }): Promise<OriginateResult> {
    const { uri, req } = p;
    const number = p.remoteNumber;
    // We pick the Call-ID so the rtpengine session, recordings, DTMF and logs share one id from the first
    // line (drachtio keeps an app-supplied Call-ID). No '@': it also names files in rtpengine's spool.
    const callId = randomUUID();
    const log = callLogger(this.o.log, callId, { to: number });
    const media = this.o.media.create(callId);
    try {
      const offer = await media.offerPrimary();
      const r = await placeInvite(this.o.srf, {
        uri,
        localSdp: offer,
        ringTimeoutMs: req.ringTimeoutMs ?? this.o.defaultRingTimeoutMs ?? 30_000,
        headers: { 'Call-ID': callId, ...req.headers },
        callerId: req.callerId,
        proxy: p.proxy,
        log,
        cancelGraceMs: this.o.cancelGraceMs,
      });
      if (!r.ok) {
        await media.close();
        log.info({ outcome: r.outcome, sipStatus: r.sipStatus }, 'outbound call not answered');
        return { outcome: r.outcome, sipStatus: r.sipStatus };
      }
      try {
        await media.primaryAnswered(r.dialog.remote.sdp, r.dialog.sip.remoteTag);
      } catch (err) {
        log.error({ err }, 'media setup failed after answer; hanging up');
        await r.dialog.destroy().catch(() => undefined);
        await media.close();
        return { outcome: 'failed' };
      }
      const call = new SipCall({
        srf: this.o.srf,
        dialog: r.dialog,
        media,
        direction: 'outbound',
        remoteNumber: number,
        localNumber: req.callerId,
        log: this.o.log,
        defaultRingTimeoutMs: this.o.defaultRingTimeoutMs,
        bridgeProxy: this.o.outboundProxy,
        cancelGraceMs: this.o.cancelGraceMs,
      });
      this.o.registry?.add(call);
      log.info({ sipCallId: call.callId }, 'outbound call answered');
      return { outcome: 'answered', call };
    } catch (err) {
      log.error({ err }, 'originate failed');
      await media.close();
      return { outcome: 'failed' };
    }
  }
}
