import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Longest reason logged: messages are bounded already, this keeps a log line bounded too. */
const REASON_MAX = 200;

export interface Refusal {
  readonly code: string;
  readonly reason: string;
}

const refusals = new WeakMap<FastifyRequest, Refusal>();

/** The code and reason of the 4xx this request was answered with, if it was refused. */
export function refusalOf(request: FastifyRequest): Refusal | undefined {
  return refusals.get(request);
}

/**
 * Keeps a 4xx's code and reason with its request, so that the one request log line
 * (`installRequestContext`) answers "why was this refused". Only our own
 * `{error: {code, message}}` body is read; the request's path and body are not.
 */
export function installRefusalLog(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const status = reply.statusCode;
    if (status < 400 || status >= 500 || typeof payload !== 'string') return payload;
    const refusal = parseRefusal(payload);
    if (refusal) refusals.set(request, refusal);
    return payload;
  });
}

function parseRefusal(payload: string): Refusal | undefined {
  try {
    const body = JSON.parse(payload) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = body.error ?? {};
    return typeof code === 'string' && typeof message === 'string' ? { code, reason: message.slice(0, REASON_MAX) } : undefined;
  } catch {
    return undefined;
  }
}
