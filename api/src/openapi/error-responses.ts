import Type, { type TSchema } from 'typebox';
import { ERROR_CODE_DOCS, type ErrorCode } from '@neonchat/common/contracts';

/**
 * The error body of one HTTP status, narrowed to the codes a route really gives with it, and
 * described from common's ERROR_CODE_DOCS: the document says exactly what a client may see.
 */
function errorBodyFor(status: number, codes: readonly ErrorCode[]): TSchema {
  const first = codes[0] as ErrorCode;
  const headers = status === 503 ? ' Sent with `Retry-After` (seconds).' : status === 429 ? ' Sent with `Retry-After` (seconds).' : '';
  return Type.Object(
    {
      error: Type.Object(
        {
          code:
            codes.length === 1
              ? Type.Literal(first, { description: 'Stable, machine-readable code' })
              : Type.Union(
                  codes.map((c) => Type.Literal(c)),
                  { description: 'Stable, machine-readable code' },
                ),
          message: Type.String({ description: 'Human-readable reason; never contains server internals' }),
          field: Type.Optional(Type.String({ description: 'The input field at fault, when known (e.g. `limit`, `user_id`)' })),
        },
        { description: 'Why the request was refused' },
      ),
    },
    {
      description: codes.map((c) => `\`${c}\`: ${ERROR_CODE_DOCS[c].meaning}`).join(' ') + headers,
      examples: [{ error: { code: first, message: EXAMPLE_MESSAGES[first] } }],
    },
  );
}

const EXAMPLE_MESSAGES: { readonly [K in ErrorCode]: string } = {
  validation_failed: 'limit: must be <= 200',
  unauthorized: 'missing bearer token',
  token_expired: 'token expired',
  forbidden: 'only admins may do this',
  not_found: 'chat not found',
  conflict: 'username taken',
  payload_too_large: 'request body is too large',
  rate_limited: 'rate limit exceeded, retry later',
  unavailable: 'service temporarily unavailable, retry shortly',
  internal: 'internal error',
  resume_too_far: 'too many messages missed',
  unknown_type: 'unknown frame type',
};

/** Every route may meet these: an outage (503) or a bug (500). */
const ALWAYS: readonly ErrorCode[] = ['unavailable', 'internal'];

/** A response map entry per status for the given codes (plus outage and bug), grouped by HTTP status. */
export function errorResponses(...codes: ErrorCode[]): Record<number, TSchema> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...new Set([...codes, ...ALWAYS])]) {
    const status = ERROR_CODE_DOCS[code].http;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries([...byStatus].map(([status, group]) => [status, errorBodyFor(status, group)]));
}

/** A token is checked (401: none, bad, expired, unknown user) and the caller is rate limited. */
export const AUTHED: readonly ErrorCode[] = ['validation_failed', 'unauthorized', 'token_expired', 'rate_limited'];
/** Routes with a JSON body may also refuse its size. */
export const WITH_BODY: readonly ErrorCode[] = ['payload_too_large'];

/** A success response with its description (the document's "what you get"), the schema unchanged. */
export function described<T extends TSchema>(schema: T, description: string): T {
  return { ...schema, description };
}
