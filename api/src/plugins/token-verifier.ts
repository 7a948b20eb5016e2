import { verifyAccessToken, type AccessClaims, type KeySource } from '@neonchat/common/runtime';

/**
 * Remembers tokens already verified, until they expire. jsonwebtoken's verify costs about a
 * millisecond of CPU, more than the rest of a history request, and every request of a client
 * carries the same token (twice checked: rate-limit key and authentication). Keyed by the whole
 * token string, so only a byte-identical token that passed the full check before is trusted.
 */
export class TokenVerifier {
  private readonly verified = new Map<string, AccessClaims>();

  constructor(
    private readonly keys: KeySource,
    private readonly capacity = 10_000,
  ) {}

  verify(token: string): AccessClaims {
    const known = this.verified.get(token);
    if (known && known.exp * 1000 > Date.now()) return known;
    if (known) this.verified.delete(token);
    const claims = verifyAccessToken(token, this.keys);
    if (this.verified.size >= this.capacity) {
      // Oldest first: Map keeps insertion order.
      const oldest = this.verified.keys().next();
      if (!oldest.done) this.verified.delete(oldest.value);
    }
    this.verified.set(token, claims);
    return claims;
  }
}
