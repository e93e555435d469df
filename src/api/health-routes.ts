import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ReadinessCheck } from '../context.js';

const checkResult = z.object({ name: z.string(), ok: z.boolean(), error: z.string().optional(), ms: z.number() });
const readyResponse = z.object({ ready: z.boolean(), checks: z.array(checkResult) });

/** /healthz answers while the process runs; /readyz probes each dependency with a short timeout. */
export const healthRoutes: FastifyPluginAsyncZod<{ checks: ReadinessCheck[] }> = async (app, { checks }) => {
  app.get('/healthz', { schema: { tags: ['health'], response: { 200: z.object({ ok: z.literal(true), uptime: z.number() }) } } }, async () => ({
    ok: true as const,
    uptime: process.uptime(),
  }));

  app.get('/readyz', { schema: { tags: ['health'], response: { 200: readyResponse, 503: readyResponse } } }, async (_req, reply) => {
    const results = await Promise.all(
      checks.map(async (c) => {
        const t0 = performance.now();
        try {
          await withTimeout(c.check(), 2000);
          return { name: c.name, ok: true, ms: performance.now() - t0 };
        } catch (err) {
          return { name: c.name, ok: false, error: (err as Error).message, ms: performance.now() - t0 };
        }
      }),
    );
    const ready = results.every((r) => r.ok);
    return reply.code(ready ? 200 : 503).send({ ready, checks: results });
  });
};

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then((v) => (clearTimeout(t), resolve(v)), (e) => (clearTimeout(t), reject(e)));
  });
}
