/** What one error code means to a client, and what to do about it. */
export interface ErrorCodeDoc {
  readonly http: number;
  /** Where the code is used: REST bodies, `error` frames, or both. */
  readonly where: 'rest' | 'ws' | 'both';
  readonly meaning: string;
}

/**
 * One row per code, written once: its HTTP status, where it is used and what it means.
 * `ERROR_CODES` (and so `ErrorCode`) is derived from it; the OpenAPI error responses and the
 * AsyncAPI `error` frame are described from it.
 */
export const ERROR_CODE_DOCS = {
  validation_failed: {
    http: 400,
    where: 'both',
    meaning:
      'Bad input: schema, non-canonical id, text PostgreSQL cannot store, conflicting parameters (before_id with after_id), malformed HTTP or JSON. `field` names the culprit when known. Do not retry as is.',
  },
  unauthorized: {
    http: 401,
    where: 'both',
    meaning: 'No bearer token, a bad one, or one whose user no longer exists ("unknown user"); wrong login credentials.',
  },
  token_expired: { http: 401, where: 'both', meaning: 'The token ran out: log in again.' },
  forbidden: {
    http: 403,
    where: 'both',
    meaning: 'A member of the chat, but not allowed this action (not an admin, banned, a channel reader posting).',
  },
  not_found: {
    http: 404,
    where: 'both',
    meaning: 'No such chat, message, user or member, or one the caller may not see (a stranger is not told a chat exists).',
  },
  conflict: {
    http: 409,
    where: 'both',
    meaning:
      'The request clashes with current state: a taken username, adding a banned user, leaving a group without an admin; on a socket, an `open`/`resume` of a chat already running.',
  },
  payload_too_large: {
    http: 413,
    where: 'both',
    meaning:
      'Body over 64 KiB (413); request line or headers too large (431, connection closed); a frame over GATEWAY_MAX_FRAME_BYTES (the socket stays open; one far over it is cut without a close frame, 1006).',
  },
  rate_limited: {
    http: 429,
    where: 'both',
    meaning: 'Too many requests or frames: wait (REST sends Retry-After). Repeated on a socket, it is closed with 4029.',
  },
  unavailable: {
    http: 503,
    where: 'both',
    meaning:
      'PostgreSQL, Redis or NATS unreachable, or a publish not acked: 503 with `Retry-After` (seconds). Retry later; a send with the same request_id is stored once.',
  },
  internal: { http: 500, where: 'both', meaning: 'A server bug, never bad input nor an outage. Logged and counted.' },
  resume_too_far: {
    http: 410,
    where: 'ws',
    meaning:
      'A `resume` would replay more than the gateway allows. Recover without gaps: send `open` for the chat (its `history` includes messages still on their way to PostgreSQL), then page older over REST with `before_id` = the oldest id of that history, retrying a 404 on the cursor shortly (not persisted yet).',
  },
  unknown_type: { http: 400, where: 'ws', meaning: 'A frame whose `type` the server does not know.' },
} as const satisfies Record<string, ErrorCodeDoc>;
