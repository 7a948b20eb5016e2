import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken, type AccessClaims } from '@neonchat/common/runtime';
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

/** Users confirmed to exist are remembered: accounts are never deleted, so a yes stays true. */
const KNOWN_USERS_MAX = 50_000;

/** preHandler for authenticated routes: a valid HS256 bearer token of an existing user, or 401. */
export function authenticateWith(tokens: TokenVerifier, userExists: UserExists) {
  const known = new Set<string>();
  return async function authenticate(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new NeonError('unauthorized', 'missing bearer token');
    const claims = tokens.verify(token);
    if (!known.has(claims.user_id)) {
      if (!(await userExists(claims.user_id, request))) throw new NeonError('unauthorized', 'unknown user');
      if (known.size >= KNOWN_USERS_MAX) known.clear();
      known.add(claims.user_id);
    }
    request.auth = claims;
  };
}
