/**
 * What a failed write means for the events in it:
 * - `unavailable`: PostgreSQL can't be reached or refused the transaction for a passing reason
 *   (connection lost, shutting down, too many connections, deadlock/serialization). Nothing
 *   is wrong with the events: retry them all, however long it takes, never dead-letter them.
 * - `rejected`: the data itself was refused (SQLSTATE classes 22 data exception and
 *   23 integrity violation). Retrying the same row fails the same way: isolate it and
 *   dead-letter it at once.
 * - `failed`: anything else. Isolate the row and retry it; dead-letter it after the
 *   configured number of deliveries.
 */
export type WriteFailure = 'unavailable' | 'rejected' | 'failed';

const UNAVAILABLE_CLASSES = new Set(['08', '40', '53', '57', '58']);
const REJECTED_CLASSES = new Set(['22', '23']);

export function classifyWriteFailure(err: unknown): WriteFailure {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  // A SQLSTATE is five characters; anything else is a socket error (ECONNREFUSED, ...) or a
  // pg client error ("Connection terminated unexpectedly") with no code at all.
  if (!/^[0-9A-Z]{5}$/.test(code)) return 'unavailable';
  const cls = code.slice(0, 2);
  if (UNAVAILABLE_CLASSES.has(cls)) return 'unavailable';
  if (REJECTED_CLASSES.has(cls)) return 'rejected';
  return 'failed';
}

/** The nak delay after `attempt` failures in a row (1-based): doubling from `baseMs`, capped. */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 20));
}
