import type { FastifyError, FastifyInstance } from 'fastify';
import { isNeonError, httpStatusOf, type ErrorCode } from '@neonchat/common/contracts';

/** Maps fastify's own 4xx errors onto our closed list of codes. */
function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 429:
      return 'rate_limited';
    default:
      return 'validation_failed';
  }
}

/**
 * One shape for every refusal: `{error: {code, message, field?}}`. Server faults are logged
 * with their cause and answered with a bare `internal`: internals never reach the client.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | Error, request, reply) => {
    if (isNeonError(err)) {
      const field = typeof err.details?.field === 'string' ? err.details.field : undefined;
      return reply.status(err.httpStatus).send({ error: { code: err.code, message: err.message, ...(field ? { field } : {}) } });
    }
    const fastifyErr = err as FastifyError;
    if (fastifyErr.validation) {
      const first = fastifyErr.validation[0];
      const path = first?.instancePath?.replace(/^\//, '').replaceAll('/', '.');
      const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
      const field = path || missing || undefined;
      const where = fastifyErr.validationContext ?? 'request';
      const message = field ? `${field}: ${first?.message ?? 'is invalid'}` : `${where} ${first?.message ?? 'is invalid'}`;
      return reply.status(400).send({ error: { code: 'validation_failed', message, ...(field ? { field } : {}) } });
    }
    const status = fastifyErr.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      const code = codeForStatus(status);
      return reply.status(status).send({ error: { code, message: err.message } });
    }
    request.log.error({ err }, 'request failed');
    return reply.status(httpStatusOf('internal')).send({ error: { code: 'internal', message: 'internal error' } });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } }),
  );
}
