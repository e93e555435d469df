import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { roleSchema } from '../auth/roles.js';
import { userInputSchema } from '../auth/users.js';

const tokenResponse = z.object({ token: z.string(), role: roleSchema, agentId: z.string().optional() });

/** Password login issuing bearer tokens, and admin user management. */
export const authRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post('/auth/token', {
    schema: {
      tags: ['auth'],
      body: z.object({ username: z.string().min(1), password: z.string().min(1) }),
      response: { 200: tokenResponse, 401: z.object({ error: z.string(), message: z.string() }) },
    },
  }, async (req, reply) => {
    const p = await ctx.users.verify(req.body.username, req.body.password);
    if (!p) return reply.code(401).send({ error: 'unauthorized', message: 'bad username or password' });
    return { token: ctx.tokens.sign(p), role: p.role, ...(p.agentId ? { agentId: p.agentId } : {}) };
  });

  app.get('/users', {
    preHandler: app.requireRole('admin'),
    schema: { tags: ['auth'], response: { 200: z.array(z.object({ username: z.string(), role: z.string(), agentId: z.string().optional() })) } },
  }, async () => ctx.users.list());

  app.post('/users', {
    preHandler: app.requireRole('admin'),
    schema: { tags: ['auth'], body: userInputSchema, response: { 201: z.object({ username: z.string() }) } },
  }, async (req, reply) => {
    await ctx.users.upsert(req.body);
    await ctx.audit.record(req.principal!, 'user.upsert', req.body.username, { role: req.body.role });
    return reply.code(201).send({ username: req.body.username });
  });

  app.get('/audit', {
    preHandler: app.requireRole('admin', 'supervisor'),
    schema: {
      tags: ['audit'],
      querystring: z.object({ count: z.coerce.number().int().min(1).max(1000).default(100), action: z.string().optional() }),
    },
  }, async (req) => ctx.audit.list(req.query));
};
