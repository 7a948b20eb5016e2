import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken, type AccessClaims, type RevocationList } from '@neonchat/common/runtime';
import { NeonError } from '@neonchat/common/contracts';
import type { TokenVerifier } from './token-verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `authenticate` on routes that require a token. */
    auth: AccessClaims;
  }
}

/** Whether a user id names an account (a signed token may outlive it, or be forged with the secret). */
export type UserExists = (userId: string, request: FastifyRequest) => Promise<boolean>;

/**
 * Users confirmed to exist are remembered for a while: a deletion is refused at once through
 * the revocation list, and this bound re-asks the database after it (a token that outlives the
 * list's entry: minted elsewhere with a longer lifetime).
 */
const KNOWN_USERS_MAX = 50_000;
const KNOWN_USER_TTL_MS = 60_000;

/**
 * preHandler for authenticated routes: a valid HS256 bearer token (current or previous key) of
 * an existing user whose session has not ended (the revocation list, in memory), or 401.
 */
export function authenticateWith(tokens: TokenVerifier, revocations: Pick<RevocationList, 'revoked'>, userExists: UserExists) {
  const known = new Map<string, number>();
  return async function authenticate(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new NeonError('unauthorized', 'missing bearer token');
    const claims = tokens.verify(token);
    if (revocations.revoked(claims) !== undefined) throw new NeonError('unauthorized', 'session ended: log in again');
    const seen = known.get(claims.user_id);
    if (seen === undefined || Date.now() - seen > KNOWN_USER_TTL_MS) {
      if (!(await userExists(claims.user_id, request))) throw new NeonError('unauthorized', 'unknown user');
      if (known.size >= KNOWN_USERS_MAX) known.clear();
      known.set(claims.user_id, Date.now());
    }
    request.auth = claims;
  };
}
