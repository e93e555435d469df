import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../support/app.js';

describe('API foundation: health, auth, roles, validation', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
    await t.ctx.users.upsert({ username: 'sup1', password: 'sup-password', role: 'supervisor' });
  });
  afterAll(async () => t.close());

  it('healthz and readyz answer', async () => {
    expect((await t.app.inject('/healthz')).json()).toMatchObject({ ok: true });
    const ready = await t.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks[0]).toMatchObject({ name: 'redis', ok: true });
  });

  it('readyz is 503 when a dependency is down', async () => {
    t.ctx.readiness.push({ name: 'rtpengine', check: async () => { throw new Error('no pong'); } });
    const res = await t.app.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.find((c: { name: string }) => c.name === 'rtpengine')).toMatchObject({ ok: false, error: 'no pong' });
    t.ctx.readiness.pop();
  });

  it('logs in with a password and rejects a wrong one', async () => {
    const ok = await t.app.inject({ method: 'POST', url: '/auth/token', payload: { username: 'sup1', password: 'sup-password' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().role).toBe('supervisor');
    const bad = await t.app.inject({ method: 'POST', url: '/auth/token', payload: { username: 'sup1', password: 'nope-nope' } });
    expect(bad.statusCode).toBe(401);
    const token = ok.json().token as string;
    const audit = await t.app.inject({ url: '/audit', headers: { authorization: `Bearer ${token}` } });
    expect(audit.statusCode).toBe(200);
  });

  it('enforces roles: 401 without token, 403 for the wrong role', async () => {
    expect((await t.app.inject('/users')).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/users', headers: t.auth('agent', 'a1') })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/users', headers: { authorization: 'Bearer forged.token' } })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/users', headers: t.auth('admin') })).statusCode).toBe(200);
  });

  it('returns 400 with zod issues for a bad body', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/users', headers: t.auth('admin'), payload: { username: 'bad name!', role: 'king' } });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error).toBe('bad_request');
    expect(body.issues.length).toBeGreaterThanOrEqual(2);
  });

  it('audit-logs admin changes', async () => {
    await t.app.inject({ method: 'POST', url: '/users', headers: t.auth('admin'), payload: { username: 'agent7', password: 'agent-password', role: 'agent', agentId: 'a7' } });
    const entries = await t.ctx.audit.list({ action: 'user.upsert' });
    expect(entries[0]).toMatchObject({ actor: 'admin-user', target: 'agent7' });
  });

  it('serves the OpenAPI document', async () => {
    const res = await t.app.inject('/docs/json');
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json().paths)).toContain('/readyz');
  });
});
