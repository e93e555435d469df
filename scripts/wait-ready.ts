/**
 * Start-up probes for scripts/start.sh: `rtpengine HOST PORT` exits 0 when rtpengine answers an ng ping;
 * `http URL TIMEOUT_S` waits until the URL answers 200.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// rtpengine-client ships CommonJS without types.
const { Client } = require('rtpengine-client') as { Client: new (o: { timeout: number }) => { ping(port: number, host: string): Promise<{ result: string }>; close(): void } };

const [kind, a, b] = process.argv.slice(2);

async function main(): Promise<number> {
  if (kind === 'rtpengine') {
    const client = new Client({ timeout: 500 });
    try {
      const r = await client.ping(Number(b), a);
      return r.result === 'pong' ? 0 : 1;
    } catch {
      return 1;
    } finally {
      client.close();
    }
  }
  if (kind === 'http') {
    const deadline = Date.now() + Number(b ?? 30) * 1000;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const res = await fetch(a);
        last = `${res.status} ${await res.text()}`;
        if (res.ok) return 0;
      } catch (err) {
        last = (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    process.stderr.write(`not ready: ${a}: ${last}\n`);
    return 1;
  }
  process.stderr.write('usage: wait-ready.ts rtpengine HOST PORT | http URL TIMEOUT_S\n');
  return 2;
}

main().then((code) => process.exit(code));
