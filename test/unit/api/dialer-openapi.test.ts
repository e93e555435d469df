import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { testRedis } from '../../support/redis.js';
import { buildApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { UserStore } from '../../../src/auth/users.js';
import { TokenSigner } from '../../../src/auth/tokens.js';
import { createDialerServices, dialerDomains } from '../../../src/dialer/services.js';

const t = testRedis();
afterAll(() => t.cleanup());

describe('dialer routes in the OpenAPI document', () => {
  it('every route schema converts (swagger at /docs/json)', async () => {
    const log = pino({ level: 'silent' });
    const audit = new AuditLog(t.redis, t.keys);
    const app = await buildApp({
      config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }), log, redis: t.redis, keys: t.keys, audit,
      users: new UserStore(t.redis, t.keys), tokens: new TokenSigner('test-secret-0123456789', 60), readiness: [],
    }, dialerDomains(createDialerServices({ redis: t.redis, keys: t.keys, log }), { audit }));
    const r = await app.inject({ method: 'GET', url: '/docs/json' });
    await app.close();
    expect(r.statusCode).toBe(200);
    const paths = Object.keys(r.json().paths);
    for (const p of ['/campaigns', '/campaigns/{id}/leads/import', '/dnc', '/campaigns/{id}/compliance-report', '/leads/{leadId}/disposition']) {
      expect(paths).toContain(p);
    }
  });
});
