import { hostname } from 'node:os';
import { pino, stdSerializers, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

// What a secret looks like inside free text (an error message, a stack, a driver's `detail`):
// redaction by key cannot reach those, so strings of logged errors are scrubbed by shape.
const SECRET_SHAPES: readonly RegExp[] = [
  /\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}/g, // bcrypt hash
  /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g, // JWT
  /(bearer[\s.]+)[^\s,"']+/gi, // Authorization value or `bearer.<token>` subprotocol
  /([?&](?:token|password)=)[^&\s"']*/gi, // query parameters
];
/** Driver fields that quote the failing row or statement: dropped from logged errors. */
const ROW_FIELDS = new Set(['detail', 'parameters', 'params', 'values', 'sql', 'query', 'where', 'sqlMessage']);
const SCRUB_MAX_NODES = 500;
const SCRUB_MAX_STRING = 8192;

export function scrubSecretText(text: string): string {
  let out = text.length > SCRUB_MAX_STRING ? `${text.slice(0, SCRUB_MAX_STRING)}…` : text;
  for (const shape of SECRET_SHAPES) out = out.replace(shape, (_m, keep?: unknown) => `${typeof keep === 'string' ? keep : ''}[redacted]`);
  return out;
}

/** A copy of a serialized error with secrets removed from every string, bounded in size. */
function scrubbed(value: unknown, budget: { nodes: number }, depth: number): unknown {
  if (budget.nodes-- <= 0 || depth > 8) return '[truncated]';
  if (typeof value === 'string') return scrubSecretText(value);
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => scrubbed(v, budget, depth + 1));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = ROW_FIELDS.has(key) ? '[redacted]' : scrubbed(v, budget, depth + 1);
  }
  return out;
}

export function serializeError(err: unknown): unknown {
  const base = err instanceof Error ? stdSerializers.err(err) : err;
  return scrubbed(base, { nodes: SCRUB_MAX_NODES }, 0);
}

/** A request as fastify logs it, with a token or password in the query string scrubbed. */
function serializeRequest(req: unknown): unknown {
  if (typeof req !== 'object' || req === null) return req;
  const r = req as { method?: unknown; url?: unknown; host?: unknown; ip?: unknown; socket?: { remotePort?: unknown } };
  return {
    method: r.method,
    url: typeof r.url === 'string' ? scrubSecretText(r.url) : undefined,
    host: r.host,
    remoteAddress: r.ip,
    remotePort: r.socket?.remotePort,
  };
}

/** The instance named in every log line: INSTANCE_ID when set (validated in CommonEnv), else the host name. */
export function instanceName(instanceId: string | undefined = process.env.INSTANCE_ID): string {
  return instanceId || hostname();
}

/**
 * pino JSON logs, each line naming its service and instance. Anything that looks like a credential is redacted wherever it appears in a
 * logged object, and logged errors (message, stack, causes, driver fields) are scrubbed of
 * hashes and tokens, so a secret can't reach the logs by any error path.
 */
export function createLogger(
  service: string,
  level: string,
  options: LoggerOptions & { instance?: string } = {},
  destination?: DestinationStream,
): Logger {
  const { instance, ...rest } = options;
  const settings: LoggerOptions = {
    name: service,
    level,
    base: { service, instance: instanceName(instance) },
    redact: {
      paths: [
        'token',
        '*.token',
        'password',
        '*.password',
        'password_hash',
        '*.password_hash',
        'passwordHash',
        '*.passwordHash',
        'authorization',
        '*.authorization',
        'headers.authorization',
        'req.headers.authorization',
        'req.headers["sec-websocket-protocol"]',
        'JWT_SECRET',
      ],
      censor: '[redacted]',
    },
    serializers: {
      err: serializeError,
      error: serializeError,
      req: serializeRequest,
    },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...rest,
  };
  return destination ? pino(settings, destination) : pino(settings);
}
