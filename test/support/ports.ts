import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

/** A loopback port free for both TCP and UDP right now (SIP listens on both). */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free loopback port');
}

/** A block of consecutive free UDP ports (rtpengine media range), starting at an even port. */
export async function freeUdpRange(size: number): Promise<{ min: number; max: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const start = 20000 + 2 * Math.floor(Math.random() * 10000);
    const socks = [];
    let ok = true;
    for (let p = start; p < start + size && ok; p++) {
      const u = createSocket('udp4');
      ok = await new Promise<boolean>((resolve) => {
        u.once('error', () => resolve(false));
        u.bind(p, '127.0.0.1', () => resolve(true));
      });
      socks.push(u);
    }
    await Promise.all(socks.map((u) => new Promise<void>((r) => { try { u.close(() => r()); } catch { r(); } })));
    if (ok) return { min: start, max: start + size - 1 };
  }
  throw new Error('no free UDP range');
}
