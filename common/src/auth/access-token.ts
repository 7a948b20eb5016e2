import jwt from 'jsonwebtoken';
import { NeonError } from '../contracts/error-codes.js';
import { canonicalId } from '../contracts/canonical.js';
import { keyOf, SigningKeys, type SigningKey } from './signing-keys.js';

/** What an access token proves. Claim names are the seed spec's, plus `sid`. */
export interface AccessClaims {
  readonly user_id: string;
  readonly username: string;
  /** Unix seconds. */
  readonly exp: number;
  readonly iat: number;
  /**
   * The session (refresh-token family) the token was issued for: what logout and "end this
   * session" revoke. Absent only in tokens minted outside the api (tools, older releases).
   */
  readonly sid?: string;
}

/** A secret (signs and verifies alone) or a service's key set. */
export type KeySource = string | SigningKeys;

function keysOf(source: KeySource): SigningKeys {
  return typeof source === 'string' ? new SigningKeys(source) : source;
}

export function signAccessToken(
  user: { id: string; username: string },
  keys: KeySource,
  ttlSeconds: number,
  options: { sid?: string } = {},
): string {
  const signing: SigningKey = typeof keys === 'string' ? keyOf(keys) : keys.current;
  const payload: Record<string, string> = { user_id: user.id, username: user.username };
  if (options.sid !== undefined) payload.sid = options.sid;
  return jwt.sign(payload, signing.key, { algorithm: 'HS256', expiresIn: ttlSeconds, keyid: signing.kid });
}

/** The `kid` of a token's header, read before verifying (to pick the key); undefined when absent or not a string. */
function kidOfToken(token: string): string | undefined | null {
  const decoded = jwt.decode(token, { complete: true });
  if (!decoded || typeof decoded !== 'object') return null;
  const kid = (decoded.header as { kid?: unknown }).kid;
  if (kid === undefined) return undefined;
  return typeof kid === 'string' ? kid : null;
}

function verifyWith(token: string, key: SigningKey): string | jwt.JwtPayload {
  return jwt.verify(token, key.key, { algorithms: ['HS256'] });
}

/**
 * The payload of a token signed by one of the accepted keys: the one its `kid` names, or, for
 * a token without a `kid` (issued before kids), each accepted key in turn.
 */
function verifiedPayload(token: string, keys: SigningKeys): string | jwt.JwtPayload {
  const kid = kidOfToken(token);
  if (kid === null) throw new NeonError('unauthorized', 'invalid token');
  if (kid !== undefined) {
    const key = keys.find(kid);
    if (!key) throw new NeonError('unauthorized', 'invalid token: unknown key');
    return verifyWith(token, key);
  }
  let last: unknown;
  for (const key of keys.all()) {
    try {
      return verifyWith(token, key);
    } catch (err) {
      if (err instanceof jwt.TokenExpiredError) throw err;
      last = err;
    }
  }
  throw last;
}

/**
 * Verifies an HS256 token against the accepted keys. Only HS256 is accepted, so `alg: none`
 * and algorithm-confusion tokens fail; an expired token is told apart (`token_expired`) so
 * clients can refresh.
 */
export function verifyAccessToken(token: string, source: KeySource): AccessClaims {
  let payload: string | jwt.JwtPayload;
  try {
    payload = verifiedPayload(token, keysOf(source));
  } catch (err) {
    if (err instanceof NeonError) throw err;
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
  // A signed token is still refused unless its ids are plain uuids; lower-cased like every id.
  const userId = canonicalId(payload.user_id);
  if (userId === undefined) throw new NeonError('unauthorized', 'invalid token claims');
  const claims = { user_id: userId, username: payload.username, exp: payload.exp as number, iat: payload.iat as number };
  const rawSid: unknown = (payload as { sid?: unknown }).sid;
  if (rawSid === undefined) return claims;
  const sid = typeof rawSid === 'string' ? canonicalId(rawSid) : undefined;
  if (sid === undefined) throw new NeonError('unauthorized', 'invalid token claims');
  return { ...claims, sid };
}

/** The token in an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
