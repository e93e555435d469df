import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { TokenSigner } from '../auth/tokens.js';

export interface QueueDashboardOptions {
  queues: Queue[];
  tokens: TokenSigner;
  /** Default '/admin/queues'. */
  basePath?: string;
}

const COOKIE = 'cti_queues_token';

function cookieToken(req: FastifyRequest): string | undefined {
  const raw = req.headers.cookie;
  if (!raw) return undefined;
  for (const part of raw.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/**
 * Read-only BullMQ dashboard (@bull-board) for admins under /admin/queues. The page is opened with
 * `?token=<admin bearer token>` (or an Authorization header); the token then rides in an HttpOnly cookie
 * scoped to the dashboard path, so the page's own asset and API requests are authorised too.
 */
export const queueDashboardPlugin: FastifyPluginAsync<QueueDashboardOptions> = async (app, o) => {
  const basePath = o.basePath ?? '/admin/queues';
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    queues: o.queues.map((q) => new BullMQAdapter(q, { readOnlyMode: true, allowRetries: false })),
    // @bull-board/fastify 9.10.1 ships its own nested @bull-board/api (9.10.1, ours is 9.10.2): same shape, separate
    // declarations, so the types do not unify. Aligning the two versions in package.json removes this cast.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: { uiConfig: { boardTitle: 'CTI scheduler' } },
  });

  await app.register(async (scope) => {
    scope.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      let principal = req.principal;
      const fromCookie = cookieToken(req);
      if (!principal && fromCookie) principal = o.tokens.verify(fromCookie);
      if (!principal) return reply.code(401).send({ error: 'unauthorized', message: 'admin token required (?token=...)' });
      if (principal.role !== 'admin') return reply.code(403).send({ error: 'forbidden', message: 'requires role admin' });
      const q = (req.query as Record<string, unknown> | undefined)?.token;
      if (typeof q === 'string' && q !== fromCookie) {
        reply.header('set-cookie', `${COOKIE}=${encodeURIComponent(q)}; Path=${basePath}; HttpOnly; SameSite=Strict`);
      }
    });
    // Belt and braces: bull-board's read-only mode hides the buttons; refuse every write method here as well.
    scope.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return reply.code(405).send({ error: 'method_not_allowed', message: 'the queue dashboard is read-only' });
    });
    await scope.register(serverAdapter.registerPlugin(), { prefix: basePath });
  });
};
