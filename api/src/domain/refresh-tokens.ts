import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes, base64url: what a client holds. Only its SHA-256 is stored. */
const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newRefreshToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/**
 * The stored form of a refresh token, or undefined for a string that cannot be one (refused
 * like an unknown token, without a database read). SHA-256 without salt is enough: the token
 * is 256 random bits, there is nothing to guess a preimage from.
 */
export function refreshTokenHash(token: string): Buffer | undefined {
  if (!TOKEN_PATTERN.test(token)) return undefined;
  return createHash('sha256').update(token, 'ascii').digest();
}
