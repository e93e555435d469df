import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from './context.js';
import { authPlugin } from './api/auth-plugin.js';
import { installErrorHandler } from './api/error-handler.js';
import { requestSerializer } from './api/log-redaction.js';
import { healthRoutes } from './api/health-routes.js';
import { authRoutes } from './api/auth-routes.js';

/** A domain's routes, registered in its own encapsulated context. */
export interface DomainPlugin {
  name: string;
  plugin: FastifyPluginAsync;
}

/** Builds the HTTP API: shared hooks first, then one encapsulated plugin per domain. */
export async function buildApp(ctx: AppContext, domains: DomainPlugin[] = []): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log.child({ mod: 'http' }, { serializers: { req: requestSerializer } }) as FastifyBaseLogger
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);

  await app.register(swagger, {
    openapi: {
      info: { title: 'CTI dialer and contact centre', version: '0.1.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(authPlugin, { tokens: ctx.tokens });

  const typed = app.withTypeProvider<ZodTypeProvider>();
  await typed.register(healthRoutes, { checks: ctx.readiness });
  await typed.register(authRoutes, { ctx });
  for (const d of domains) await app.register(d.plugin);
  return app;
}
