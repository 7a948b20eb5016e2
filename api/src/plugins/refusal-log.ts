import type { FastifyInstance } from 'fastify';

/** Longest reason logged: messages are bounded already, this keeps a log line bounded too. */
const REASON_MAX = 200;

/**
 * A 4xx is logged with its code and reason (at info: the client's mistake, not ours), so
 * "why was this refused" is answered from the logs. Only our own `{error: {code, message}}`
 * body is read; the request path and body are not logged here.
 */
export function installRefusalLog(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const status = reply.statusCode;
    if (status < 400 || status >= 500 || typeof payload !== 'string') return payload;
    const refusal = parseRefusal(payload);
    request.log.info({ statusCode: status, code: refusal?.code, reason: refusal?.message.slice(0, REASON_MAX) }, 'request refused');
    return payload;
  });
}

function parseRefusal(payload: string): { code: string; message: string } | undefined {
  try {
    const body = JSON.parse(payload) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = body.error ?? {};
    return typeof code === 'string' && typeof message === 'string' ? { code, message } : undefined;
  } catch {
    return undefined;
  }
}
