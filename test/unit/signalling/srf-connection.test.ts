import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { SrfConnection } from '../../../src/sip/srf-connection.js';
import { freePort } from '../../support/ports.js';

/**
 * A minimal drachtio control-protocol peer (framing + authenticate + route + ping) so the connection
 * logic is tested without the SIP engine: it answers what srf sends at connect time.
 */
function fakeDrachtio(port: number, secret: string): Promise<{ server: Server; sockets: Set<Socket>; routes: string[]; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const routes: string[] = [];
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      for (;;) {
        const hash = buf.indexOf('#');
        if (hash < 0) return;
        const len = Number(buf.slice(0, hash));
        if (buf.length < hash + 1 + len) return;
        const msg = buf.slice(hash + 1, hash + 1 + len);
        buf = buf.slice(hash + 1 + len);
        const [id, verb, arg] = msg.split('|');
        const reply = (body: string) => {
          const payload = `${randomUUID()}|response|${id}|${body}`;
          s.write(`${Buffer.byteLength(payload)}#${payload}`);
        };
        if (verb === 'authenticate') reply(arg === secret ? 'OK|udp/127.0.0.1:5060|v0.9.10|' : 'NO|bad secret');
        else if (verb === 'route') {
          routes.push(arg);
          reply('OK');
        }
        else if (verb === 'ping') reply('OK|pong');
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () =>
      resolve({
        server,
        sockets,
        routes,
        close: () => new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          server.close(() => r());
        }),
      }),
    ),
  );
}

const log = pino({ level: 'silent' });
const conns: SrfConnection[] = [];
afterEach(() => {
  for (const c of conns.splice(0)) c.stop();
});

describe('SrfConnection', () => {
  it('connects, reports readiness, subscribes routes, and reconnects after the server drops', async () => {
    const port = await freePort();
    let drachtio = await fakeDrachtio(port, 'cymru');
    const conn = new SrfConnection({ host: '127.0.0.1', port, secret: 'cymru', log, retryMaxDelayMs: 200 });
    conns.push(conn);
    conn.srf.invite(() => undefined);
    expect(conn.isConnected()).toBe(false);
    await expect(conn.readinessCheck().check()).rejects.toThrow(/not connected/);
    await conn.start(5000);
    expect(conn.isConnected()).toBe(true);
    expect(conn.sipHostports).toBe('udp/127.0.0.1:5060');
    await conn.readinessCheck().check();
    await new Promise((r) => setTimeout(r, 50));
    expect(drachtio.routes).toContain('invite');

    await drachtio.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(conn.isConnected()).toBe(false);

    drachtio = await fakeDrachtio(port, 'cymru');
    await conn.waitConnected(5000);
    expect(conn.isConnected()).toBe(true);
    conn.stop();
    expect(conn.isConnected()).toBe(false);
    await new Promise((r) => setTimeout(r, 100));
    expect(drachtio.sockets.size).toBe(0);
    await drachtio.close();
  });

  it('rejects start() on a wrong secret', async () => {
    const port = await freePort();
    const drachtio = await fakeDrachtio(port, 'right');
    const conn = new SrfConnection({ host: '127.0.0.1', port, secret: 'wrong', log });
    conns.push(conn);
    await expect(conn.start(5000)).rejects.toThrow(/authenticate/);
    expect(conn.isConnected()).toBe(false);
    conn.stop();
    await drachtio.close();
  });

  it('keeps retrying while nothing listens, then connects', async () => {
    const port = await freePort();
    const conn = new SrfConnection({ host: '127.0.0.1', port, secret: 's', log, retryMaxDelayMs: 100 });
    conns.push(conn);
    const started = conn.start(5000);
    await new Promise((r) => setTimeout(r, 400));
    const drachtio = await fakeDrachtio(port, 's');
    await started;
    expect(conn.isConnected()).toBe(true);
    conn.stop();
    await drachtio.close();
  });
});
