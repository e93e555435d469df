import type { Logger } from 'pino';
import type { AgentCredentials, RegistrationSink } from '../sip/ports.js';
import { Registrar } from '../sip/registrar.js';
import { SrfConnection } from '../sip/srf-connection.js';
import { CallRegistry } from './call-registry.js';
import { attachInboundRouter, type DidRouter } from './inbound-router.js';
import type { CallMediaFactory } from './media-port.js';
import { Originator } from './originator.js';
import { asSrfApp } from './srf-types.js';

export interface CallControlOptions {
  log: Logger;
  drachtio: { host: string; port: number; secret: string };
  /** Per-call media: src/media's RtpCallMediaFactory (startMediaServices().mediaFactory). */
  media: CallMediaFactory;
  registrar: { realm: string; nonceSecret: string; credentials: AgentCredentials; sink: RegistrationSink };
  didRouter: DidRouter;
  outbound: { trunkUriTemplate: string; outboundProxy?: string; allowedPrefixes: string[] };
  defaultRingTimeoutMs?: number;
  /** Inbound INVITEs above this many active calls get 503 (default: no limit). */
  maxActiveCalls?: number;
  /** Calls are hung up after this long (default: no limit). */
  maxCallDurationMs?: number;
  /** How long start() waits for the first drachtio connection (it keeps retrying afterwards). */
  connectTimeoutMs?: number;
}

export interface CallControl {
  conn: SrfConnection;
  registry: CallRegistry;
  originator: Originator;
  /** For ctx.readiness: drachtio connected (rtpengine's check comes with the media services). */
  readiness: { name: string; check(): Promise<void> }[];
  stop(): Promise<void>;
}

/**
 * Everything call control needs, wired the way the e2e tests run it: srf connection (with reconnect),
 * registrar on REGISTER, inbound router on INVITE/OPTIONS, originator for outbound calls. Media comes
 * from src/media; the SIP engine itself (embedded or drachtio-server) is started elsewhere.
 */
export async function startCallControl(o: CallControlOptions): Promise<CallControl> {
  const log = o.log.child({ component: 'calls' });
  const conn = new SrfConnection({ ...o.drachtio, log: o.log });
  const srf = asSrfApp(conn.srf);
  const registry = new CallRegistry();
  const media = o.media;
  new Registrar({ ...o.registrar, log }).attach(conn.srf as unknown as Parameters<Registrar['attach']>[0]);
  attachInboundRouter({
    srf,
    didRouter: o.didRouter,
    media,
    log,
    registry,
    defaultRingTimeoutMs: o.defaultRingTimeoutMs,
    maxActiveCalls: o.maxActiveCalls,
    maxCallDurationMs: o.maxCallDurationMs,
  });
  const originator = new Originator({ srf, media, log, registry, ...o.outbound, defaultRingTimeoutMs: o.defaultRingTimeoutMs });
  try {
    await conn.start(o.connectTimeoutMs ?? 10_000);
  } catch (err) {
    // keep retrying in the background; /readyz reports it meanwhile
    log.error({ err: (err as Error).message }, 'drachtio not reachable yet');
  }
  return {
    conn,
    registry,
    originator,
    readiness: [conn.readinessCheck()],
    async stop() {
      await registry.hangupAll();
      conn.stop();
    },
  };
}
