import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { pino } from 'pino';
import { startEngine, type RunningEngine } from '../../../src/sip/engine/engine.js';
import { SrfConnection } from '../../../src/sip/srf-connection.js';
import { attachInboundRouter } from '../../../src/calls/inbound-router.js';
import { asSrfApp } from '../../../src/calls/srf-types.js';
import { freePort } from '../../support/ports.js';
import { runSipp, sippErrors } from '../../support/sipp-calls.js';
import { FakeMediaFactory } from '../../support/call-fakes.js';

/** The srf connection survives an engine restart: readiness drops, comes back, and INVITE routing works again. */
const log = pino({ level: process.env.E2E_LOG_LEVEL ?? 'silent' });
let engine: RunningEngine | undefined;
let conn: SrfConnection | undefined;

afterAll(async () => {
  conn?.stop();
  await engine?.stop();
});

describe('drachtio connection across an engine restart', () => {
  it('reconnects and re-subscribes its routes (INVITE -> 404 from our router, OPTIONS -> 200)', async () => {
    const controlPort = await freePort();
    const sipPort = await freePort();
    const secret = 'reconnect-secret';
    const start = () => startEngine({ controlHost: '127.0.0.1', controlPort, secret, sipHost: '127.0.0.1', sipPort, log });
    engine = await start();
    conn = new SrfConnection({ host: '127.0.0.1', port: controlPort, secret, log, retryMaxDelayMs: 300 });
    // no DID is served: an INVITE must come back 404 from our router (proves the invite route is live)
    attachInboundRouter({ srf: asSrfApp(conn.srf), didRouter: { handlerFor: () => null }, media: new FakeMediaFactory(), log });
    await conn.start(5000);
    await conn.readinessCheck().check();

    await engine.stop();
    engine = undefined;
    await expect.poll(() => conn!.isConnected(), { timeout: 3000 }).toBe(false);
    await expect(conn.readinessCheck().check()).rejects.toThrow(/not connected/);

    engine = await start();
    await conn.waitConnected(10_000);
    await conn.readinessCheck().check();
    await new Promise((r) => setTimeout(r, 200)); // route|invite goes out right after authentication
    const sipp = await runSipp({ scenario: join(import.meta.dirname, 'sipp/uac-expect-404.xml'), remote: `127.0.0.1:${sipPort}`, service: '555', timeoutS: 10 });
    expect(await sipp.done, sippErrors(sipp)).toBe(0);
    const ping = await runSipp({ scenario: join(import.meta.dirname, 'sipp/uac-options.xml'), remote: `127.0.0.1:${sipPort}`, timeoutS: 10 });
    expect(await ping.done, sippErrors(ping)).toBe(0);
  });
});
