import { createHash, createSecretKey, type KeyObject } from 'node:crypto';

/** One HS256 key and the id (`kid` header) tokens signed with it carry. */
export interface SigningKey {
  readonly kid: string;
  readonly key: KeyObject;
}

/**
 * The key a service signs with and the keys it accepts. The `kid` is derived from the secret
 * (a truncated SHA-256, which tells nothing usable about a secret of 32+ random characters), so
 * operators only ever set secrets and every service computes the same ids: a rotation is "add
 * the new secret as accepted everywhere, sign with it, drop the old one" (deploy/README.md).
 */
export class SigningKeys {
  private readonly byKid = new Map<string, SigningKey>();
  readonly current: SigningKey;

  constructor(currentSecret: string, acceptedSecrets: readonly string[] = []) {
    this.current = keyOf(currentSecret);
    this.byKid.set(this.current.kid, this.current);
    for (const secret of acceptedSecrets) {
      const key = keyOf(secret);
      if (!this.byKid.has(key.kid)) this.byKid.set(key.kid, key);
    }
  }

  /** The accepted key with this id, if any. */
  find(kid: string): SigningKey | undefined {
    return this.byKid.get(kid);
  }

  /** Every accepted key, the current one first (for tokens without a `kid`, from before kids). */
  all(): IterableIterator<SigningKey> {
    return this.byKid.values();
  }

  /** From a service's config: JWT_SECRET signs, JWT_SECRET_PREVIOUS (comma-separated) is accepted too. */
  static fromConfig(config: { JWT_SECRET: string; JWT_SECRET_PREVIOUS?: string }): SigningKeys {
    return new SigningKeys(config.JWT_SECRET, splitSecrets(config.JWT_SECRET_PREVIOUS));
  }
}

/** The comma-separated secrets of JWT_SECRET_PREVIOUS (blanks dropped). */
export function splitSecrets(list: string | undefined): string[] {
  return (list ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

const KID_PREFIX = 'neonchat-kid:';

export function kidOf(secret: string): string {
  return createHash('sha256')
    .update(KID_PREFIX + secret)
    .digest('hex')
    .slice(0, 16);
}

// jsonwebtoken turns a string secret into a KeyObject on every call, which profiles as the
// biggest single cost of a gateway upgrade; the KeyObject is made once per secret instead.
const cache = new Map<string, SigningKey>();
const CACHE_MAX = 64;

export function keyOf(secret: string): SigningKey {
  let key = cache.get(secret);
  if (!key) {
    key = { kid: kidOf(secret), key: createSecretKey(Buffer.from(secret, 'utf8')) };
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(secret, key);
  }
  return key;
}
