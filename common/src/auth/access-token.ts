import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { NeonError } from '../contracts/error-codes.js';
import { canonicalId } from '../contracts/canonical.js';

/** What an access token proves. Claim names are the seed spec's. */
export interface AccessClaims {
  readonly user_id: string;
  readonly username: string;
  /** Unix seconds. */
  readonly exp: number;
  readonly iat: number;
}

export function signAccessToken(user: { id: string; username: string }, secret: string, ttlSeconds: number): string {
  return jwt.sign({ user_id: user.id, username: user.username }, secret, { algorithm: 'HS256', expiresIn: ttlSeconds });
}

// jsonwebtoken turns a string secret into a KeyObject on every call, which profiles as the
// biggest single cost of a gateway upgrade; the KeyObject is made once per secret instead.
const secretKeys = new Map<string, KeyObject>();
function secretKey(secret: string): KeyObject {
  let key = secretKeys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    secretKeys.set(secret, key);
  }
  return key;
}

/**
 * Verifies an HS256 token. Only HS256 is accepted, so `alg: none` and algorithm-confusion
 * tokens fail; an expired token is told apart (`token_expired`) so clients can refresh.
 */
export function verifyAccessToken(token: string, secret: string): AccessClaims {
  let payload: string | jwt.JwtPayload;
  try {
    payload = jwt.verify(token, secretKey(secret), { algorithms: ['HS256'] });
  } catch (err) {
    if (err instanceof jwt.TokenExpiredError) throw new NeonError('token_expired', 'token expired', { cause: err });
    throw new NeonError('unauthorized', 'invalid token', { cause: err });
  }
  if (
    typeof payload !== 'object' ||
    typeof payload.user_id !== 'string' ||
    typeof payload.username !== 'string' ||
    !Number.isFinite(payload.exp) ||
    !Number.isFinite(payload.iat)
  ) {
    throw new NeonError('unauthorized', 'invalid token claims');
  }
  // A signed token is still refused unless its user id is a plain uuid; lower-cased like every id.
  const userId = canonicalId(payload.user_id);
  if (userId === undefined) throw new NeonError('unauthorized', 'invalid token claims');
  return { user_id: userId, username: payload.username, exp: payload.exp as number, iat: payload.iat as number };
}

/** The token in an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
