import { randomUUID } from 'node:crypto';
import { LogController, type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { trace } from '@opentelemetry/api';
import { refusalOf } from './refusal-log.js';

export const REQUEST_ID_HEADER = 'x-request-id';
/** A request id a client (or the balancer) may give: short, and only characters safe in a log line or header. */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
/** Probes and scrapes, every second or so: logged at debug, not info. */
const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The request id: the caller's `X-Request-Id` when it is safe (1-64 of `A-Za-z0-9._:-`),
 * otherwise a fresh UUID; never the raw header (fastify's `requestIdHeader` would take any
 * value up to the header limit into every log line).
 */
export function requestIdOf(request: { headers: Record<string, string | string[] | undefined> }): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && ACCEPTED_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Fastify options of the request context. `trustedProxies`: addresses or CIDRs of the load
 * balancers whose `X-Forwarded-For` is believed (request.ip is then the client's: rate limits
 * key on it); empty trusts no one.
 */
export function requestContextOptions(trustedProxies: readonly string[]): Partial<FastifyServerOptions> {
  return {
    genReqId: (req) => requestIdOf(req),
    requestIdHeader: false,
    // fastify's two lines per request are replaced by one in `installRequestContext`, with its
    // level by route.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'req_id' }),
    trustProxy: trustedProxies.length ? [...trustedProxies] : false,
  };
}

/**
 * `X-Request-Id` on every answer, the id and route on the request's trace span, and one log
 * line per request (status, time, user; a refusal's code and reason) at info, or at debug for health probes and scrapes.
 */
export function installRequestContext(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    const span = trace.getActiveSpan();
    if (span) {
      span.setAttribute('neonchat.request_id', request.id);
      const route = request.routeOptions.url;
      if (route) {
        span.setAttribute('http.route', route);
        span.updateName(`${request.method} ${route}`);
      }
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    const line = {
      method: request.method,
      route: route ?? 'unmatched',
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      ip: request.ip,
      user_id: userIdOf(request),
      // a 4xx's code and reason (installRefusalLog), absent otherwise
      ...refusalOf(request),
    };
    if (route && QUIET_ROUTES.has(route)) request.log.debug(line, 'request');
    else request.log.info(line, 'request');
  });
}

function userIdOf(request: FastifyRequest): string | undefined {
  return (request as Partial<Pick<FastifyRequest, 'auth'>>).auth?.user_id;
}
