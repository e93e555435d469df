import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFlow } from '../../../src/ivr/session.js';
import { freePort } from '../../support/ports.js';
import { FakeChannel } from './fakes.js';
import { mkDeps, mkFlow } from './helpers.js';

interface Seen { method: string; url: string; headers: IncomingMessage['headers']; body: string; aborted: boolean }

describe('http-lookup against a real local HTTP server', () => {
  let server: Server;
  let base: string;
  const seen: Seen[] = [];

  beforeAll(async () => {
    const port = await freePort();
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const s: Seen = { method: req.method!, url: req.url!, headers: req.headers, body, aborted: false };
        seen.push(s);
        res.on('close', () => { if (!res.writableFinished) s.aborted = true; });
        const json = (status: number, data: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(data));
        if (req.url!.startsWith('/policies/')) {
          const no = decodeURIComponent(req.url!.slice('/policies/'.length).split('?')[0]);
          if (no === '404') return json(404, { error: 'no such policy' });
          return json(200, { found: true, number: no, holder: { name: 'Li Wei', vip: false }, premiumDue: 1200.5, tags: ['auto', 'home'], note: null });
        }
        if (req.url === '/staff/performance') {
          const b = JSON.parse(body) as { staffId: string; pin: string };
          if (b.pin !== '2468') return json(401, { error: 'bad pin' });
          return json(200, { commission: '8800.00', policiesSold: 12 });
        }
        if (req.url === '/slow') return void setTimeout(() => { if (!res.destroyed) json(200, { late: true }); }, 3000);
        if (req.url === '/text') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
        if (req.url === '/array') return json(200, [1, 2]);
        json(404, {});
      });
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const lookupFlow = (node: Record<string, unknown>, extra: Record<string, unknown> = {}) => mkFlow({
    l: { kind: 'http-lookup', as: 'r', next: 'ok', onFailure: 'fallback', ...node },
    ok: { kind: 'hangup', prompts: ['found'] },
    fallback: { kind: 'hangup', prompts: ['fallback'] },
  } as never, { vars: { base }, ...extra });

  it('GET with a templated URL: caller values are encoded, the JSON answer becomes variables', async () => {
    const r = await runFlow(lookupFlow({ url: '{{base}}/policies/{{policyNo}}?lang={{lang}}' }), new FakeChannel(), mkDeps(), { vars: { policyNo: '12 34/5' } });
    expect(seen.at(-1)!.url).toBe('/policies/12%2034%2F5?lang=en');
    expect(seen.at(-1)!.method).toBe('GET');
    expect(r.path).toEqual(['l', 'ok']);
    expect(r.vars).toMatchObject({
      'r.ok': 'true', 'r.found': 'true', 'r.number': '12 34/5', 'r.holder.name': 'Li Wei', 'r.holder.vip': 'false',
      'r.premiumDue': '1200.5', 'r.tags.0': 'auto', 'r.tags.1': 'home', 'r.note': '',
    });
    expect(r.trace[0].result).toBe('http 200');
  });

  it('POST with a templated JSON body and headers (staff key + PIN)', async () => {
    const flow = lookupFlow({ url: '{{base}}/staff/performance', method: 'POST', body: { staffId: '{{staffId}}', pin: '{{pin}}' }, headers: { 'x-did': '{{did}}' } });
    const r = await runFlow(flow, new FakeChannel(), mkDeps(), { vars: { staffId: '007', pin: '2468' } });
    const s = seen.at(-1)!;
    expect(JSON.parse(s.body)).toEqual({ staffId: '007', pin: '2468' });
    expect(s.headers['x-did']).toBe('+862140001000');
    expect(s.headers['content-type']).toBe('application/json');
    expect(r.vars).toMatchObject({ 'r.commission': '8800.00', 'r.policiesSold': '12' });
    const denied = await runFlow(flow, new FakeChannel(), mkDeps(), { vars: { staffId: '007', pin: '1111' } });
    expect(denied.path).toEqual(['l', 'fallback']);
    expect(denied.vars).toMatchObject({ 'r.ok': 'false', 'r.error': 'http 401' });
  });

  it('a slow webhook times out and the flow takes the fallback', async () => {
    const r = await runFlow(lookupFlow({ url: '{{base}}/slow', timeoutMs: 200 }), new FakeChannel(), mkDeps());
    expect(r.path).toEqual(['l', 'fallback']);
    expect(r.vars['r.error']).toBe('timeout after 200 ms');
  });

  it('non-2xx, non-JSON, non-object answers and refused connections are failures', async () => {
    const errorOf = async (url: string) => (await runFlow(lookupFlow({ url }), new FakeChannel(), mkDeps())).vars['r.error'];
    expect(await errorOf('{{base}}/policies/404')).toBe('http 404');
    expect(await errorOf('{{base}}/text')).toBe('answer is not JSON');
    expect(await errorOf('{{base}}/array')).toBe('answer is not a JSON object');
    const closed = await freePort();
    expect(await errorOf(`http://127.0.0.1:${closed}/x`)).toMatch(/^network error/);
    expect(await errorOf('{{nobase}}/x')).toBe('url is not http(s)');
  });

  it('a second lookup with the same prefix replaces the earlier fields', async () => {
    const flow = mkFlow({
      a: { kind: 'http-lookup', url: '{{base}}/policies/1', as: 'r', next: 'b' },
      b: { kind: 'http-lookup', url: '{{base}}/staff/performance', method: 'POST', body: { pin: '2468' }, as: 'r', next: 'bye' },
      bye: { kind: 'hangup' },
    }, { vars: { base } });
    const r = await runFlow(flow, new FakeChannel(), mkDeps());
    expect(r.vars['r.commission']).toBe('8800.00');
    expect(r.vars['r.holder.name']).toBeUndefined();
  });

  it('without onFailure a failed lookup goes to the flow onError node', async () => {
    const flow = mkFlow({
      l: { kind: 'http-lookup', url: '{{base}}/policies/404', as: 'r', next: 'bye' },
      bye: { kind: 'hangup' },
      err: { kind: 'hangup', prompts: ['sorry'] },
    }, { vars: { base }, onError: 'err' });
    const r = await runFlow(flow, new FakeChannel(), mkDeps());
    expect(r.path).toEqual(['l', 'err']);
    expect(r.vars['error.message']).toMatch(/http 404/);
  });

  it('a caller hangup aborts the pending request and ends the session promptly', async () => {
    const ch = new FakeChannel();
    setTimeout(() => ch.callerHangup(), 100);
    const r = await runFlow(lookupFlow({ url: '{{base}}/slow', timeoutMs: 5000 }), ch, mkDeps());
    expect(r.outcome).toBe('caller-hangup');
    expect(r.path).toEqual(['l']);
    await expect.poll(() => seen.at(-1)!.aborted, { timeout: 2000 }).toBe(true);
  });
});
