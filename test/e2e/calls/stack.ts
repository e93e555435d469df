import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino, type Logger } from 'pino';
import { startEngine, type RunningEngine } from '../../../src/sip/engine/engine.js';
import type { SrfConnection } from '../../../src/sip/srf-connection.js';
import { startCallControl } from '../../../src/calls/call-control.js';
import type { CallHandler } from '../../../src/calls/inbound-router.js';
import type { AgentCredential } from '../../../src/sip/ports.js';
import { RtpengineClient } from '../../../src/media/rtpengine-client.js';
import { DtmfListener } from '../../../src/media/dtmf-listener.js';
import { RtpCallMediaFactory } from '../../../src/media/rtp-call-media.js';
import { RecordingStore, type Recording } from '../../../src/recording/recording-store.js';
import { testRedis } from '../../support/redis.js';
import type { CallRegistry } from '../../../src/calls/call-registry.js';
import type { Originator } from '../../../src/calls/originator.js';
import { startRtpengine, type RtpengineInstance } from '../../support/rtpengine.js';
import { freePort } from '../../support/ports.js';

const exec = promisify(execFile);

/**
 * The real call-control stack on loopback for e2e tests: private rtpengine, the embedded SIP engine,
 * drachtio-srf connected to it, registrar, inbound router and originator, exactly as the service wires them.
 */
export interface CallStack {
  log: Logger;
  rtpe: RtpengineInstance;
  rtpClient: RtpengineClient;
  engine: RunningEngine;
  conn: SrfConnection;
  registry: CallRegistry;
  originator: Originator;
  /** DID -> handler, mutable by tests. */
  handlers: Map<string, CallHandler>;
  /** agentId -> contact and expiry, as the registrar stored them. */
  bindings: Map<string, { contact: string; expires: number }>;
  credentials: Record<string, AgentCredential>;
  /** Recordings stored after their call ended (src/recording via the media layer). */
  recordings: Recording[];
  recordingsDir: string;
  sipPort: number;
  realm: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startCallStack(): Promise<CallStack> {
  const log = pino({ level: process.env.E2E_LOG_LEVEL ?? 'silent' });
  const dir = mkdtempSync(join(tmpdir(), 'calls-e2e-'));
  const rtpe = await startRtpengine({ ports: 100 });
  const rtpClient = new RtpengineClient({ host: '127.0.0.1', port: rtpe.ngPort });
  const dtmf = new DtmfListener({ port: rtpe.dtmfPort, log });
  await dtmf.start();
  const redis = testRedis();
  const recordings: Recording[] = [];
  const recordingsDir = join(dir, 'recordings');
  const media = new RtpCallMediaFactory({
    client: rtpClient,
    dtmf,
    log,
    recording: {
      store: new RecordingStore(redis.redis, redis.keys, { defaultRetentionDays: 1 }),
      spoolDir: rtpe.spoolDir,
      recordingsDir,
      onStored: (r) => void (r && recordings.push(r)),
    },
  });
  const secret = 'e2e-secret';
  const engine = await startEngine({ controlHost: '127.0.0.1', controlPort: await freePort(), secret, sipHost: '127.0.0.1', sipPort: await freePort(), log });
  const handlers = new Map<string, CallHandler>();
  const bindings = new Map<string, { contact: string; expires: number }>();
  const credentials: Record<string, AgentCredential> = {};
  const realm = '127.0.0.1';
  const calls = await startCallControl({
    log,
    drachtio: { host: '127.0.0.1', port: engine.controlPort, secret },
    media,
    registrar: {
      realm,
      nonceSecret: 'e2e-nonce-secret',
      credentials: { lookup: (u) => credentials[u] ?? null },
      sink: {
        setRegistration: (agentId, contact, expires) => {
          if (expires === 0) bindings.delete(agentId);
          else bindings.set(agentId, { contact, expires });
        },
      },
    },
    didRouter: { handlerFor: (did) => handlers.get(did) ?? null },
    outbound: { trunkUriTemplate: 'sip:{number}@127.0.0.1:9', allowedPrefixes: ['+44'] },
    defaultRingTimeoutMs: 10_000,
  });
  for (const r of calls.readiness) await r.check();
  return {
    log, rtpe, rtpClient, engine, recordings, recordingsDir, conn: calls.conn, registry: calls.registry, originator: calls.originator,
    handlers, bindings, credentials, realm, dir,
    sipPort: engine.sipPort,
    async stop() {
      await calls.stop();
      await engine.stop();
      await dtmf.stop();
      rtpClient.close();
      await rtpe.stop();
      await redis.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An 8 kHz mono 16-bit sine WAV (prompts, softphone microphone). */
export async function toneWav(file: string, hz: number, seconds: number): Promise<string> {
  await exec('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', file, 'synth', String(seconds), 'sine', String(hz), 'vol', '0.5']);
  return file;
}

/** Raw u-law samples for sipp's rtp_stream (payload type 0). */
export async function toneUlaw(file: string, hz: number, seconds: number): Promise<string> {
  await exec('sox', ['-n', '-r', '8000', '-c', '1', '-e', 'u-law', '-t', 'raw', file, 'synth', String(seconds), 'sine', String(hz), 'vol', '0.5']);
  return file;
}

/** sox's own measurement of a WAV: RMS amplitude and rough frequency of what was heard. */
export async function audioStats(file: string): Promise<{ rms: number; freq: number; seconds: number }> {
  const { stderr } = await exec('sox', [file, '-n', 'stat']);
  const num = (label: string) => Number(new RegExp(`${label}:\\s+(-?[\\d.]+)`).exec(stderr)?.[1] ?? NaN);
  return { rms: num('RMS\\s+amplitude'), freq: num('Rough\\s+frequency'), seconds: num('Length \\(seconds\\)') };
}

/**
 * Trims leading/trailing silence so stats describe the audible part; `trim` (sox trim args, applied after)
 * picks a window of it, e.g. ['0', '1'] the first second, ['-1.5', '1'] one second ending 0.5 s before the end.
 */
export async function audibleStats(file: string, out: string, o: { trim?: string[] } = {}): Promise<{ rms: number; freq: number; seconds: number }> {
  await exec('sox', [file, out, 'silence', '1', '0.05', '1%', 'reverse', 'silence', '1', '0.05', '1%', 'reverse']);
  if (!o.trim) return audioStats(out);
  const { seconds } = await audioStats(out);
  const start = o.trim[0].startsWith('-') ? Math.max(0, seconds + Number(o.trim[0])) : Number(o.trim[0]);
  const win = `${out}.win.wav`;
  await exec('sox', [out, win, 'trim', String(start), o.trim[1]]);
  return audioStats(win);
}
