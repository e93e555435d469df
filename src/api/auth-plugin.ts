import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal, Role } from '../auth/roles.js';
import type { TokenSigner } from '../auth/tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** preHandler that admits only the given roles; 401 without a valid token, 403 for another role. */
    requireRole(...roles: Role[]): (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}

/** Reads `Authorization: Bearer <token>` (or `?token=` for WebSocket and audio links) on every request. */
export const authPlugin = fp<{ tokens: TokenSigner }>(async (app, { tokens }) => {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    const header = req.headers.authorization;
    const fromQuery = (req.query as Record<string, unknown> | undefined)?.token;
    const raw = header?.startsWith('Bearer ') ? header.slice(7) : typeof fromQuery === 'string' ? fromQuery : undefined;
    req.principal = raw ? tokens.verify(raw) : null;
  });
  app.decorate('requireRole', (...roles: Role[]) => async (req: FastifyRequest, reply: FastifyReply) => {
    if (!req.principal) return reply.code(401).send({ error: 'unauthorized', message: 'missing or invalid bearer token' });
    if (!roles.includes(req.principal.role)) {
      return reply.code(403).send({ error: 'forbidden', message: `requires role ${roles.join(' or ')}` });
    }
  });
}, { name: 'auth' });
