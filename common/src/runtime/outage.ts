import { errors as natsErrors } from '@nats-io/nats-core';

/**
 * Tells an outage (PostgreSQL, Redis or NATS unreachable, restarting, overloaded) from a bug,
 * so it is answered `unavailable` (retry later) and not `internal`. Looks through `cause`
 * chains and aggregate errors, a few levels deep.
 */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // PostgreSQL: shutting down, starting up, too many connections, out of resources, query cancelled by a timeout.
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '53200',
  '53100',
  '57014',
]);
/**
 * The NATS client's own classes for "the server is away, closing, or did not answer in time"
 * (`errors` of @nats-io/nats-core 3.x; JetStream's errors carry one of these as their `cause`
 * when it is an outage, and a `JetStreamApiError` — the server refused — is not one). Matched
 * with `instanceof`: `NoRespondersError` names its instances `NoResponders`, which a list of
 * names never matched.
 */
const NATS_OUTAGE_CLASSES: ReadonlyArray<abstract new (...args: never[]) => Error> = [
  natsErrors.ConnectionError,
  natsErrors.ClosedConnectionError,
  natsErrors.DrainingConnectionError,
  natsErrors.TimeoutError,
  natsErrors.NoRespondersError,
  natsErrors.RequestError,
];
/**
 * Names still matched as names: the same NATS classes' names (derived from the classes, for
 * an error made by another installed copy of nats-core, where `instanceof` fails), and the
 * classes of clients this package does not load (loading them here would pull MikroORM into
 * the gateway and ioredis into every service): MikroORM's `ConnectionException`, ioredis'
 * `MaxRetriesPerRequestError`, knex's `KnexTimeoutError`. `TimeoutError` is also the name of
 * the DOMException of `AbortSignal.timeout`, which has no class of its own.
 */
const OUTAGE_NAMES = new Set([
  ...NATS_OUTAGE_CLASSES.map((c) => c.name),
  'ConnectionException',
  'MaxRetriesPerRequestError',
  'KnexTimeoutError',
]);
/**
 * pg and ioredis throw plain `Error`s (no class, no code) when their connection dies on the
 * client side; their messages are the only mark. NATS needs none of these.
 */
const OUTAGE_MESSAGES = [
  /connection terminated/i,
  /connection is closed/i,
  /timeout exceeded when trying to connect/i,
  /timeout acquiring a connection/i,
  /not queryable/i,
  /connection refused/i,
  /stream is not writeable/i,
];

export function isOutageError(err: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length && seen.size < 16) {
    const e = queue.shift();
    if (typeof e !== 'object' || e === null || seen.has(e)) continue;
    seen.add(e);
    const { code, name, message, cause, errors } = e as {
      code?: unknown;
      name?: unknown;
      message?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('08'))) return true;
    if (NATS_OUTAGE_CLASSES.some((c) => e instanceof c)) return true;
    if (typeof name === 'string' && OUTAGE_NAMES.has(name)) return true;
    if (typeof message === 'string' && OUTAGE_MESSAGES.some((re) => re.test(message.slice(0, 500)))) return true;
    queue.push(cause);
    if (Array.isArray(errors)) queue.push(...errors.slice(0, 8));
  }
  return false;
}
