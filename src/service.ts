import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { AppContext, ReadinessCheck } from './context.js';
import { buildApp, type DomainPlugin } from './app.js';
import { createRedis, Keys } from './redis.js';
import { AuditLog } from './audit/audit-log.js';
import { UserStore } from './auth/users.js';
import { TokenSigner } from './auth/tokens.js';

export interface RunningService {
  app: FastifyInstance;
  ctx: AppContext;
  url: string;
  stop(): Promise<void>;
}

/** Composition root: builds every dependency once, wires the domain plugins, listens. */
export async function startService(config: Config, log: Logger): Promise<RunningService> {
  const redis = createRedis(config);
  const keys = new Keys(config.REDIS_PREFIX);
  const readiness: ReadinessCheck[] = [
    { name: 'redis', check: async () => void (await redis.ping()) },
  ];
  const ctx: AppContext = {
    config,
    log,
    redis,
    keys,
    audit: new AuditLog(redis, keys),
    users: new UserStore(redis, keys),
    tokens: new TokenSigner(config.AUTH_SECRET, config.TOKEN_TTL_SECONDS),
    readiness,
  };
  await ctx.users.upsert({ username: config.ADMIN_USER, password: config.ADMIN_PASSWORD, role: 'admin' });

  const stoppers: (() => Promise<void>)[] = [];
  const domains: DomainPlugin[] = [];

  const app = await buildApp(ctx, domains);
  await app.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.HTTP_PORT;
  return {
    app,
    ctx,
    url: `http://${config.HTTP_HOST}:${port}`,
    async stop() {
      await app.close();
      for (const s of stoppers.reverse()) await s().catch((err) => log.warn({ err }, 'stop step failed'));
      redis.disconnect();
    },
  };
}
