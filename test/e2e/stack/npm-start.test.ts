import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, freeUdpRange } from '../../support/ports.js';
import { chromium, type Browser } from 'playwright-core';

/**
 * `npm start` brings up the single-box stack (rtpengine, embedded SIP engine, service, wallboard),
 * /readyz reports every dependency, the wallboard works in a real browser, and Ctrl-C stops all it started.
 */
describe('npm start: the single-box stack', () => {
  let browser: Browser | undefined;
  afterAll(async () => browser?.close());

  it('comes up ready, serves the wallboard, and stops everything on SIGINT', async () => {
    const [http, control, sip, ng, dtmf] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    const range = await freeUdpRange(50);
    const env = {
      ...process.env,
      HTTP_PORT: String(http), DRACHTIO_PORT: String(control), SIP_PORT: String(sip),
      RTPENGINE_PORT: String(ng), RTPENGINE_DTMF_PORT: String(dtmf),
      RTPENGINE_PORT_MIN: String(range.min), RTPENGINE_PORT_MAX: String(range.max),
      REDIS_PREFIX: `test:${randomUUID().slice(0, 8)}:`, ADMIN_PASSWORD: 'stack-test-pw', LOG_LEVEL: 'warn',
      SETUP_BROWSER: '0',
    };
    // detached: its own process group, so the test can send the terminal's Ctrl-C to the whole group
    const child = spawn('bash', ['scripts/start.sh'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    try {
      const deadline = Date.now() + 90_000;
      while (!out.includes('CTI stack is up') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
      expect(out, out.slice(-3000)).toContain('CTI stack is up');

      const base = `http://127.0.0.1:${http}`;
      const ready = await (await fetch(`${base}/readyz`)).json() as { ready: boolean; checks: { name: string; ok: boolean }[] };
      expect(ready.ready).toBe(true);
      expect(ready.checks.map((c) => c.name).sort()).toEqual(expect.arrayContaining(['redis', 'rtpengine', 'sip']));

      browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
          '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      const page = await browser.newPage();
      await page.goto(base);
      await page.fill('#user', 'admin');
      await page.fill('#pass', 'stack-test-pw');
      await page.click('button[type=submit]');
      await page.waitForSelector('#status:text("live")', { timeout: 10_000 });
      expect(await page.isVisible('#board')).toBe(true);
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
    // Everything it started is gone: the control, SIP and rtpengine ports are free again.
    const { createServer } = await import('node:net');
    for (const p of [control, http]) {
      await new Promise<void>((resolve, reject) => {
        const s = createServer().once('error', reject).listen(p, '127.0.0.1', () => s.close(() => resolve()));
      });
    }
    expect(out).toContain('[start] stopping');
  }, 150_000);
});
