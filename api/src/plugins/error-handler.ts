import type { FastifyError, FastifyInstance } from 'fastify';
import { isNeonError, httpStatusOf, type ErrorCode } from '@neonchat/common/contracts';
import { isOutageError } from '@neonchat/common/runtime';

/** Seconds a client is asked to wait after `unavailable`. */
export const RETRY_AFTER_S = 2;

export interface ErrorHandlerOptions {
  /** Asked when an error is neither ours nor a known outage: is a dependency down right now? */
  readonly dependencyDown?: () => Promise<boolean>;
}

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
export function installErrorHandler(app: FastifyInstance, options: ErrorHandlerOptions = {}): void {
  app.setErrorHandler(async (err: FastifyError | Error, request, reply) => {
    if (isNeonError(err)) {
      if (err.code === 'unavailable') reply.header('retry-after', String(RETRY_AFTER_S));
      // The login back-off says how long to wait (rate-limiter-flexible's figure, whole seconds).
      const retryAfter = err.details?.retry_after_s;
      if (err.code === 'rate_limited' && typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
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
      // fastify's own messages may quote the client (a content type, a header): bounded.
      return reply.status(httpStatusOf(code)).send({ error: { code, message: err.message.slice(0, 200) } });
    }
    // PostgreSQL, Redis or NATS away is an outage, not a bug: `unavailable`, retry later.
    if (isOutageError(err) || (await dependencyDown(options))) {
      request.log.warn({ err }, 'request failed: a dependency is unavailable');
      return reply
        .status(httpStatusOf('unavailable'))
        .header('retry-after', String(RETRY_AFTER_S))
        .send({ error: { code: 'unavailable', message: 'service temporarily unavailable, retry shortly' } });
    }
    request.log.error({ err }, 'request failed');
    return reply.status(httpStatusOf('internal')).send({ error: { code: 'internal', message: 'internal error' } });
  });

  // The path is not echoed: it is the client's text, possibly huge or full of control characters.
  app.setNotFoundHandler((_request, reply) => reply.status(404).send({ error: { code: 'not_found', message: 'no such route' } }));
}

async function dependencyDown(options: ErrorHandlerOptions): Promise<boolean> {
  if (!options.dependencyDown) return false;
  return options.dependencyDown().catch(() => true);
}
