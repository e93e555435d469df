import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { ZodError } from 'zod';

/** Bad input gets 400 with the zod issues; domain code may throw HttpError for 404/409. */
export class HttpError extends Error {
  constructor(readonly statusCode: number, readonly code: string, message: string, readonly detail?: unknown) {
    super(message);
  }
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | Error, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      return reply.code(400).send({
        error: 'bad_request',
        message: `invalid ${(err as FastifyError).validationContext ?? 'request'}`,
        issues: err.validation.map((v) => ({ path: v.instancePath, message: v.message, params: v.params })),
      });
    }
    if (err instanceof ZodError) {
      return reply.code(400).send({ error: 'bad_request', message: 'invalid input', issues: err.issues });
    }
    if (err instanceof HttpError) {
      return reply.code(err.statusCode).send({ error: err.code, message: err.message, ...(err.detail ? { detail: err.detail } : {}) });
    }
    if (isResponseSerializationError(err)) {
      req.log.error({ err }, 'response did not match its schema');
      return reply.code(500).send({ error: 'internal', message: 'response serialization failed' });
    }
    const status = (err as FastifyError).statusCode ?? 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    return reply.code(status).send({ error: status >= 500 ? 'internal' : 'bad_request', message: err.message });
  });
}
