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
const OUTAGE_NAMES = new Set([
  'ConnectionException',
  'ConnectionError',
  'ClosedConnectionError',
  'DrainingConnectionError',
  'TimeoutError',
  'NoRespondersError',
  'RequestError',
  'MaxRetriesPerRequestError',
  'KnexTimeoutError',
]);
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
    if (typeof name === 'string' && OUTAGE_NAMES.has(name)) return true;
    if (typeof message === 'string' && OUTAGE_MESSAGES.some((re) => re.test(message.slice(0, 500)))) return true;
    queue.push(cause);
    if (Array.isArray(errors)) queue.push(...errors.slice(0, 8));
  }
  return false;
}
