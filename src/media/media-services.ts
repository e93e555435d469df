import type { FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.js';
import type { ReadinessCheck } from '../context.js';
import type { Keys } from '../redis.js';
import { recordingRoutes } from '../api/recording-routes.js';
import { RecordingStore } from '../recording/recording-store.js';
import { recoverOrphanRecordings } from '../recording/call-recorder.js';
import { DtmfListener } from './dtmf-listener.js';
import { PromptSet } from './prompts.js';
import { RtpCallMediaFactory } from './rtp-call-media.js';
import { RtpengineClient } from './rtpengine-client.js';

/** Settings of the media layer (map from Config: RTPENGINE_*, RECORDINGS_DIR, PROMPTS_DIR, RECORDING_RETENTION_DAYS). */
export interface MediaServicesOptions {
  redis: Redis;
  keys: Keys;
  log: Logger;
  rtpengine: { host: string; port: number; timeoutMs?: number };
  /** UDP port rtpengine's --dtmf-log-dest points at (we listen on it). */
  dtmfPort: number;
  dtmfHost?: string;
  /** rtpengine's --recording-dir. */
  spoolDir: string;
  recordingsDir: string;
  promptsDir: string;
  defaultLang?: 'en' | 'zh';
  retentionDays?: number;
  retentionByCampaign?: Record<string, number>;
}

export interface MediaServices {
  client: RtpengineClient;
  dtmf: DtmfListener;
  prompts: PromptSet;
  recordings: RecordingStore;
  /** CallMediaFactory for src/calls (one RtpCallMedia per call). */
  mediaFactory: RtpCallMediaFactory;
  readiness: ReadinessCheck;
  /** Converts recordings orphaned by a crash (run at start-up and from a repeatable job). */
  recoverRecordings(): Promise<{ recovered: number; waiting: number }>;
  stop(): Promise<void>;
}

/** Composition root of src/media + src/recording: one rtpengine client, one DTMF listener, the stores. */
export async function startMediaServices(o: MediaServicesOptions): Promise<MediaServices> {
  const log = o.log.child({ mod: 'media' });
  const client = new RtpengineClient({
    host: o.rtpengine.host,
    port: o.rtpengine.port,
    timeoutMs: o.rtpengine.timeoutMs ?? 2000,
    onStrayError: (err) => log.warn({ err: err.message }, 'rtpengine: stray reply or socket error'),
  });
  const dtmf = new DtmfListener({ host: o.dtmfHost, port: o.dtmfPort, log });
  await dtmf.start();
  const recordings = new RecordingStore(o.redis, o.keys, {
    defaultRetentionDays: o.retentionDays ?? 90,
    retentionByCampaign: o.retentionByCampaign,
  });
  const prompts = new PromptSet({ dir: o.promptsDir, defaultLang: o.defaultLang });
  const missing = prompts.missing();
  if (missing.length) log.warn({ missing: missing.length, first: missing.slice(0, 5) }, 'prompt files missing (run scripts/make-prompts.ts)');
  const mediaFactory = new RtpCallMediaFactory({
    client,
    dtmf,
    log,
    recording: { store: recordings, spoolDir: o.spoolDir, recordingsDir: o.recordingsDir },
  });
  return {
    client,
    dtmf,
    prompts,
    recordings,
    mediaFactory,
    readiness: { name: 'rtpengine', check: () => client.ping() },
    async recoverRecordings() {
      const r = await recoverOrphanRecordings({
        client, store: recordings, spoolDir: o.spoolDir, recordingsDir: o.recordingsDir, log, activeCallIds: mediaFactory.activeCallIds(),
      });
      return { recovered: r.recovered.length, waiting: r.waiting };
    },
    async stop() {
      await dtmf.stop();
      client.close();
    },
  };
}

/** The /recordings routes as a buildApp() domain. */
export function recordingDomain(s: Pick<MediaServices, 'recordings'>, audit: AuditLog): { name: string; plugin: FastifyPluginAsync } {
  return { name: 'recordings', plugin: async (app) => app.register(recordingRoutes, { store: s.recordings, audit }) };
}
