import type { FastifyPluginAsync } from 'fastify';
import fastifyStatic from '@fastify/static';
import { fileURLToPath } from 'node:url';

/** The supervisor wallboard (web/): static files, no build step; data comes from the authenticated /ws. */
export const webRoutes: FastifyPluginAsync = async (app) => {
  await app.register(fastifyStatic, {
    root: fileURLToPath(new URL('../../web/', import.meta.url)),
    prefix: '/',
    index: ['index.html'],
    decorateReply: false,
  });
};
