import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp, type DomainPlugin } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { AppContext } from '../../src/context.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { UserStore } from '../../src/auth/users.js';
import { TokenSigner } from '../../src/auth/tokens.js';
import type { Principal } from '../../src/auth/roles.js';
import { testRedis } from './redis.js';

export interface TestApp {
  app: FastifyInstance;
  ctx: AppContext;
  /** Bearer header for a principal of the given role. */
  auth(role: Principal['role'], agentId?: string): { authorization: string };
  close(): Promise<void>;
}

/** A Fastify app on a private Redis key prefix; `domains` are the plugins under test. */
export async function testApp(makeDomains: (ctx: AppContext) => DomainPlugin[] = () => []): Promise<TestApp> {
  const r = testRedis();
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', REDIS_PREFIX: r.prefix });
  const ctx: AppContext = {
    config,
    log: pino({ level: 'silent' }),
    redis: r.redis,
    keys: r.keys,
    audit: new AuditLog(r.redis, r.keys),
    users: new UserStore(r.redis, r.keys),
    tokens: new TokenSigner(config.AUTH_SECRET, 3600),
    readiness: [{ name: 'redis', check: async () => void (await r.redis.ping()) }],
  };
  const app = await buildApp(ctx, makeDomains(ctx));
  await app.ready();
  return {
    app,
    ctx,
    auth: (role, agentId) => ({
      authorization: `Bearer ${ctx.tokens.sign({ sub: `${role}-user`, role, ...(agentId ? { agentId } : {}) })}`,
    }),
    async close() {
      await app.close();
      await r.cleanup();
    },
  };
}
