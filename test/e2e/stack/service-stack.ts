import { expect } from 'vitest';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../../src/config.js';
import { startService, type RunningService } from '../../../src/service.js';
import { startEngine, type RunningEngine } from '../../../src/sip/engine/engine.js';
import { freePort } from '../../support/ports.js';
import { REDIS_URL } from '../../support/redis.js';
import { startRtpengine, type RtpengineInstance } from '../../support/rtpengine.js';

/** The whole service (src/service.ts) against a real embedded SIP engine and a private rtpengine, on loopback. */
export interface ServiceStack {
  svc: RunningService;
  engine: RunningEngine;
  rtpe: RtpengineInstance;
  config: Config;
  base: string;
  dir: string;
  /** Admin bearer header obtained through POST /auth/token. */
  admin: { authorization: string };
  api<T = unknown>(method: string, path: string, body?: unknown, auth?: { authorization: string }): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

export const PROMPTS_DIR = join(import.meta.dirname, '../../../var/prompts');

export async function startServiceStack(env: Record<string, string> = {}): Promise<ServiceStack> {
  if (!existsSync(join(PROMPTS_DIR, 'en'))) throw new Error('var/prompts missing: run `npx tsx scripts/make-prompts.ts var/prompts`');
  const log = pino({ level: process.env.E2E_LOG_LEVEL ?? 'silent' });
  const dir = mkdtempSync(join(tmpdir(), 'svc-e2e-'));
  const rtpe = await startRtpengine({ ports: 100 });
  const secret = `e2e-${randomUUID().slice(0, 8)}`;
  let engine: RunningEngine | undefined;
  try {
    engine = await startEngine({ controlHost: '127.0.0.1', controlPort: await freePort(), secret, sipHost: '127.0.0.1', sipPort: await freePort(), log });
    const prefix = `test:${randomUUID().slice(0, 8)}:`;
    const config = loadConfig({
      NODE_ENV: 'test', LOG_LEVEL: 'silent',
      HTTP_HOST: '127.0.0.1', HTTP_PORT: String(await freePort()),
      REDIS_URL, REDIS_PREFIX: prefix, SCHEDULER_PREFIX: `tbull-${prefix.slice(5, 13)}`,
      DRACHTIO_HOST: '127.0.0.1', DRACHTIO_PORT: String(engine.controlPort), DRACHTIO_SECRET: secret,
      SIP_HOST: '127.0.0.1', SIP_PORT: String(engine.sipPort), SIP_DOMAIN: '127.0.0.1',
      RTPENGINE_HOST: '127.0.0.1', RTPENGINE_PORT: String(rtpe.ngPort), RTPENGINE_DTMF_PORT: String(rtpe.dtmfPort),
      RTPENGINE_SPOOL_DIR: rtpe.spoolDir, RECORDINGS_DIR: join(dir, 'recordings'), PROMPTS_DIR,
      ADMIN_USER: 'admin', ADMIN_PASSWORD: 'e2e-admin-password',
      ...env,
    });
    const svc = await startService(config, log);
    const base = svc.url;
    const api = async <T,>(method: string, path: string, body?: unknown, auth?: { authorization: string }) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(auth ?? {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
    };
    const tok = await api<{ token: string }>('POST', '/auth/token', { username: 'admin', password: 'e2e-admin-password' });
    if (tok.status !== 200) throw new Error(`admin token: ${tok.status} ${JSON.stringify(tok.body)}`);
    const eng = engine;
    return {
      svc, engine: eng, rtpe, config, base, dir, api,
      admin: { authorization: `Bearer ${tok.body.token}` },
      async stop() {
        await svc.stop();
        await eng.stop();
        await rtpe.stop();
        await cleanupPrefix(prefix, config.SCHEDULER_PREFIX);
      },
    };
  } catch (err) {
    await engine?.stop();
    await rtpe.stop();
    throw err;
  }
}

/** Deletes this run's keys (service prefix and BullMQ prefix); never touches anything else. */
async function cleanupPrefix(...prefixes: string[]): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    for (const p of prefixes) {
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', `${p}*`, 'COUNT', 1000);
        cursor = next;
        if (batch.length) await redis.del(...batch);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}

/** POST /auth/token for a user; fails the test with the response body when login is refused. */
export async function loginToken(stack: ServiceStack, username: string, password: string): Promise<string> {
  const r = await stack.api<{ token: string }>('POST', '/auth/token', { username, password });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.token;
}

/** An admin API call that must succeed (200/201): set-up steps of e2e tests. */
export async function adminCreate(stack: ServiceStack, method: string, path: string, body: unknown): Promise<void> {
  const r = await stack.api(method, path, body, stack.admin);
  expect([200, 201], `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`).toContain(r.status);
}
