import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import Srf from 'drachtio-srf';
import { freePort } from '../support/ports.js';
import { run } from '../support/proc.js';

const ROOT = resolve(import.meta.dirname, '../..');

// `npm run engine` (src/sip/engine/main.ts): configured by env, accepts srf, stops cleanly on SIGTERM.
describe('engine CLI', () => {
  it('starts from env, serves an srf app and exits 0 on SIGTERM', async () => {
    const sipPort = await freePort();
    const controlPort = await freePort();
    const p = run(process.execPath, ['--import', 'tsx', resolve(ROOT, 'src/sip/engine/main.ts')], {
      cwd: ROOT,
      env: {
        ...process.env, DRACHTIO_HOST: '127.0.0.1', DRACHTIO_PORT: String(controlPort), DRACHTIO_SECRET: 'cli-secret',
        SIP_HOST: '127.0.0.1', SIP_PORT: String(sipPort), LOG_LEVEL: 'info',
      },
    });
    try {
      await p.waitFor(/engine ready/, 20_000);
      const srf = new Srf();
      srf.on('error', () => undefined);
      const hostport = await new Promise<string>((res, rej) => {
        srf.on('connect', (err: Error | null, hp: string) => (err ? rej(err) : res(hp)));
        srf.connect({ host: '127.0.0.1', port: controlPort, secret: 'cli-secret' });
      });
      expect(hostport).toBe(`udp/127.0.0.1:${sipPort},tcp/127.0.0.1:${sipPort}`);
      srf.disconnect();
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      expect(p.output()).toMatch(/SIP engine stopped/);
    } finally {
      await p.stop('SIGKILL');
    }
  });

  it('refuses to start with an invalid port', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, DRACHTIO_SECRET: 'x', DRACHTIO_PORT: 'not-a-port', SIP_PORT: String(await freePort()) };
    const p = run(process.execPath, ['--import', 'tsx', resolve(ROOT, 'src/sip/engine/main.ts')], { cwd: ROOT, env });
    expect(await p.exited).toBe(1);
    expect(p.output()).toMatch(/DRACHTIO_PORT must be a port number/);
  });
});
