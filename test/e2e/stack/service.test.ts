import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServiceStack, type ServiceStack } from './service-stack.js';

/**
 * The composition root (src/service.ts) as a whole: every domain built once against a real SIP engine,
 * a private rtpengine and Redis; readiness reports the three dependencies; every domain's routes are in
 * the OpenAPI document; the WebSocket and wallboard are served; stop() releases everything.
 */
let stack: ServiceStack;

beforeAll(async () => {
  stack = await startServiceStack();
});

afterAll(async () => {
  await stack?.stop();
});

describe('startService: the whole service', () => {
  it('is ready: redis, sip (drachtio connected) and rtpengine (ping) all ok', async () => {
    const r = await stack.api<{ ready: boolean; checks: { name: string; ok: boolean; error?: string }[] }>('GET', '/readyz');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.ready).toBe(true);
    expect(r.body.checks.map((c) => c.name).sort()).toEqual(['redis', 'rtpengine', 'sip']);
    expect(r.body.checks.every((c) => c.ok)).toBe(true);
  });

  it('publishes the routes of every domain in the OpenAPI document', async () => {
    const r = await stack.api<{ paths: Record<string, unknown> }>('GET', '/docs/json');
    expect(r.status).toBe(200);
    const paths = Object.keys(r.body.paths);
    for (const prefix of ['/ivr/', '/queues', '/agents', '/campaigns', '/leads', '/recordings', '/callbacks', '/payments', '/dnc', '/auth/token']) {
      expect(paths.some((p) => p.startsWith(prefix)), `no ${prefix} route in ${paths.join(' ')}`).toBe(true);
    }
  });

  it('guards the API, serves the wallboard and the admin queue dashboard', async () => {
    expect((await stack.api('GET', '/queues')).status).toBe(401);
    expect((await stack.api('GET', '/queues', undefined, stack.admin)).status).toBe(200);
    const page = await fetch(`${stack.base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    const token = stack.admin.authorization.slice('Bearer '.length);
    const dash = await fetch(`${stack.base}/admin/queues?token=${encodeURIComponent(token)}`);
    expect(dash.status).toBe(200);
  });

  it('accepts an authenticated WebSocket and answers ping', async () => {
    const token = stack.admin.authorization.slice('Bearer '.length);
    const ws = new WebSocket(`${stack.base.replace('http', 'ws')}/ws?token=${encodeURIComponent(token)}`);
    const frames: { type: string; pong?: boolean }[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(String(d)) as { type: string }));
    await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
    ws.send(JSON.stringify({ type: 'ping', id: 1 }));
    await expect.poll(() => frames.find((f) => f.type === 'ack')?.pong, { timeout: 3000 }).toBe(true);
    expect(frames[0].type).toBe('hello');
    ws.close();
  });

  it('stops cleanly: the HTTP port closes', async () => {
    await stack.svc.stop();
    await expect(fetch(`${stack.base}/healthz`)).rejects.toThrow();
    // stop() is idempotent enough for afterAll to call it again through stack.stop()
    stack.svc.stop = async () => undefined;
  });
});
