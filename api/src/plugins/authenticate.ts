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

/** preHandler for authenticated routes: a valid HS256 bearer token or 401. */
export function authenticateWith(tokens: TokenVerifier) {
  return async function authenticate(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new NeonError('unauthorized', 'missing bearer token');
    request.auth = tokens.verify(token);
  };
}
