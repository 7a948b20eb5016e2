import { ERROR_CODE_DOCS } from './error-docs.js';

/**
 * The one closed list of error codes NeonChat speaks, with how each maps onto HTTP and onto
 * WebSocket close codes. REST bodies (`{error: {code, message}}`) and `error` frames use these
 * codes verbatim; clients may switch on them, so a code is never renamed once shipped.
 *
 *   validation_failed  bad input of any kind: schema, non-canonical id (`urn:uuid:`, braces),
 *                      text PostgreSQL cannot store (U+0000, unpaired surrogates), a number
 *                      that is not finite or out of bounds, malformed HTTP or JSON. Never
 *                      retried as is.
 *   unauthorized       no token, a bad one, or one whose `user_id` names no account.
 *   payload_too_large  413 (body, frame); 431 when the request line or headers are too large.
 *   unavailable        503 with Retry-After: PostgreSQL, Redis or NATS unreachable, or a
 *                      publish not acked. Retry later (a send: with the same request_id).
 *   internal           500: a bug, never bad input nor an outage. Logged and counted.
 */
export type ErrorCode = keyof typeof ERROR_CODE_DOCS;

/** Each code with its HTTP status (from the one table, `ERROR_CODE_DOCS`). */
export const ERROR_CODES = Object.fromEntries(Object.entries(ERROR_CODE_DOCS).map(([code, doc]) => [code, { http: doc.http }])) as {
  readonly [K in ErrorCode]: { readonly http: (typeof ERROR_CODE_DOCS)[K]['http'] };
};

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code].http;
}

/**
 * WebSocket close codes the gateway uses. 4000–4999 is the range RFC 6455 leaves to
 * applications; clients decide whether to reconnect from the code alone.
 */
export const CLOSE_CODES = {
  /** Server going away (deploy, shutdown): reconnect after a short random delay. */
  goingAway: 1001,
  /** A frame larger than the gateway accepts. */
  messageTooBig: 1009,
  /** The database could not be read when the socket opened: reconnect after a short delay. */
  tryAgainLater: 1013,
  /** The token ran out while the socket was open: log in again, then reconnect. */
  tokenExpired: 4001,
  /** The token is valid but names no user (deleted, or never existed): log in again. */
  unknownUser: 4003,
  /** The client could not keep up with what it was sent; reconnect and resume. */
  slowConsumer: 4008,
  /** Too many sockets for one user. */
  tooManyConnections: 4009,
  /** Too many frames refused for rate: the client is misbehaving. */
  rateLimited: 4029,
} as const;

export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

/** A failure with a public code. `message` is safe to show to a client; `cause` never is. */
export class NeonError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NeonError';
    this.code = code;
    this.details = options?.details;
  }

  get httpStatus(): number {
    return httpStatusOf(this.code);
  }
}

export function isNeonError(value: unknown): value is NeonError {
  return value instanceof NeonError;
}
