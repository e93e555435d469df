import type { FastifyRequest } from 'fastify';

/** Bearer tokens may ride in `?token=` (WebSocket, audio links): never let them reach the logs. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|access_token)=)[^&#]*/gi, '$1[redacted]');
}

/** pino serializer for Fastify's request log lines. */
export function requestSerializer(req: FastifyRequest): Record<string, unknown> {
  return { method: req.method, url: redactUrl(req.url), host: req.host, remoteAddress: req.ip };
}
