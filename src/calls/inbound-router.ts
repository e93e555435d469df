import type { Logger } from 'pino';
import { callLogger } from '../logger.js';
import type { CallChannel } from './call-channel.js';
import type { CallRegistry } from './call-registry.js';
import type { CallMediaFactory } from './media-port.js';
import { SipCall } from './sip-call.js';
import type { SrfApp, SrfRequestLike, SrfResponseLike } from './srf-types.js';

/** Runs one call to completion (the IVR's runFlow, an ACD entry point, ...). */
export type CallHandler = (call: CallChannel) => Promise<void>;

/** Maps the dialled number to its handler; null for numbers we do not serve. */
export interface DidRouter {
  handlerFor(did: string): CallHandler | null | undefined | Promise<CallHandler | null | undefined>;
}

export interface InboundRouterOptions {
  srf: SrfApp;
  didRouter: DidRouter;
  media: CallMediaFactory;
  log: Logger;
  registry?: CallRegistry;
  defaultRingTimeoutMs?: number;
  /** Outbound proxy for bridge() targets. */
  bridgeProxy?: string;
  /** Above this many active calls (registry count) new INVITEs get 503 + Retry-After instead of media. */
  maxActiveCalls?: number;
  /** Hang up calls older than this (see SipCallOptions.maxDurationMs). */
  maxCallDurationMs?: number;
}

/** The DID: user part of the Request-URI, else of To (some trunks put the DID only in To). */
export function dialledNumber(req: SrfRequestLike): string {
  if (req.calledNumber) return req.calledNumber;
  const m = /sips?:([^@;>]+)@/i.exec(req.get('To') ?? '');
  return m ? m[1] : '';
}

/**
 * The INVITE entry point: unknown DID -> 404, otherwise answer, run the DID's handler, hang up when it
 * returns. If the handler returns while the call is bridged (e.g. it handed the caller to an agent),
 * the bridge keeps running until either side hangs up. OPTIONS (keep-alive pings from trunks) -> 200.
 */
export function attachInboundRouter(o: InboundRouterOptions): void {
  o.srf.options((_req, res) => res.send(200));
  o.srf.invite((req, res) => {
    void handleInvite(o, req, res).catch((err) => {
      o.log.error({ err, callId: req.get('Call-ID') }, 'inbound INVITE handling failed');
      if (!res.finalResponseSent) res.send(500);
    });
  });
}

async function handleInvite(o: InboundRouterOptions, req: SrfRequestLike, res: SrfResponseLike): Promise<void> {
  const callId = req.get('Call-ID');
  const log = callLogger(o.log, callId);
  const did = dialledNumber(req);
  const handler = await o.didRouter.handlerFor(did);
  if (!handler) {
    log.info({ did, from: req.callingNumber }, 'no route for DID');
    res.send(404, 'Not Found');
    return;
  }
  if (o.maxActiveCalls !== undefined && o.registry && o.registry.counts().active >= o.maxActiveCalls) {
    log.warn({ did, active: o.registry.counts().active }, 'over the active-call limit; refusing INVITE');
    res.send(503, 'Service Unavailable', { headers: { 'Retry-After': '30' } });
    return;
  }
  if (!req.body) {
    // late-offer INVITEs would need a 3pcc dance with rtpengine; trunks and softphones here always offer
    log.warn({ did }, 'INVITE without SDP offer refused');
    res.send(488, 'Not Acceptable Here');
    return;
  }
  let call: SipCall;
  try {
    call = await SipCall.answer({
      srf: o.srf,
      req,
      res,
      media: o.media.create(callId),
      log: o.log,
      localNumber: did,
      defaultRingTimeoutMs: o.defaultRingTimeoutMs,
      bridgeProxy: o.bridgeProxy,
      maxDurationMs: o.maxCallDurationMs,
    });
  } catch {
    return; // caller gone before answer (CANCEL) or media refused; SipCall.answer logged and cleaned up
  }
  o.registry?.add(call);
  try {
    await handler(call);
  } catch (err) {
    log.error({ err }, 'call handler failed');
  }
  if (!call.ended && call.isBridged) {
    log.info('handler finished while bridged; call continues until either side hangs up');
    await call.whenEnded();
  }
  if (!call.ended) await call.hangup();
}
