import { ERROR_CODES, type ErrorCode } from './error-codes.js';

/** What one error code means to a client, and what to do about it. */
export interface ErrorCodeDoc {
  readonly http: number;
  /** Where the code is used: REST bodies, `error` frames, or both. */
  readonly where: 'rest' | 'ws' | 'both';
  readonly meaning: string;
}

/**
 * One line per code, written once: the OpenAPI error responses and the AsyncAPI `error` frame
 * are described from this table, and a test checks it covers ERROR_CODES exactly.
 */
export const ERROR_CODE_DOCS: { readonly [K in ErrorCode]: ErrorCodeDoc } = {
  validation_failed: {
    http: ERROR_CODES.validation_failed.http,
    where: 'both',
    meaning:
      'Bad input: schema, non-canonical id, text PostgreSQL cannot store, conflicting parameters (before_id with after_id), malformed HTTP or JSON. `field` names the culprit when known. Do not retry as is.',
  },
  unauthorized: {
    http: ERROR_CODES.unauthorized.http,
    where: 'both',
    meaning:
      'No bearer token, a bad one, one of an ended session or a deleted account, or one whose user no longer exists ("unknown user"); wrong login credentials; an unknown, ended or reused refresh token.',
  },
  token_expired: { http: ERROR_CODES.token_expired.http, where: 'both', meaning: 'The token ran out: log in again.' },
  forbidden: {
    http: ERROR_CODES.forbidden.http,
    where: 'both',
    meaning:
      'A member of the chat, but not allowed this action (not an admin, banned, a channel reader posting, blocked by the other member of a 1:1 chat); a wrong current password when changing it or deleting the account.',
  },
  not_found: {
    http: ERROR_CODES.not_found.http,
    where: 'both',
    meaning: 'No such chat, message, user or member, or one the caller may not see (a stranger is not told a chat exists).',
  },
  conflict: {
    http: ERROR_CODES.conflict.http,
    where: 'both',
    meaning:
      'The request clashes with current state: a taken username, adding a banned user, leaving a group without an admin; on a socket, an `open`/`resume` of a chat already running.',
  },
  payload_too_large: {
    http: ERROR_CODES.payload_too_large.http,
    where: 'both',
    meaning:
      'Body over 64 KiB (413); request line or headers too large (431, connection closed); a frame over GATEWAY_MAX_FRAME_BYTES (the socket stays open; one far over it is cut without a close frame, 1006).',
  },
  rate_limited: {
    http: ERROR_CODES.rate_limited.http,
    where: 'both',
    meaning:
      'Too many requests or frames, failed logins (per account and per address, growing back-off) or registrations of taken names: wait (REST sends Retry-After). Repeated on a socket, it is closed with 4029.',
  },
  unavailable: {
    http: ERROR_CODES.unavailable.http,
    where: 'both',
    meaning:
      'PostgreSQL, Redis or NATS unreachable, or a publish not acked: 503 with `Retry-After` (seconds). Retry later; a send with the same request_id is stored once.',
  },
  internal: { http: ERROR_CODES.internal.http, where: 'both', meaning: 'A server bug, never bad input nor an outage. Logged and counted.' },
  resume_too_far: {
    http: ERROR_CODES.resume_too_far.http,
    where: 'ws',
    meaning:
      'A `resume` would replay more than the gateway allows. Recover without gaps: send `open` for the chat (its `history` includes messages still on their way to PostgreSQL), then page older over REST with `before_id` = the oldest id of that history, retrying a 404 on the cursor shortly (not persisted yet).',
  },
  unknown_type: { http: ERROR_CODES.unknown_type.http, where: 'ws', meaning: 'A frame whose `type` the server does not know.' },
};
