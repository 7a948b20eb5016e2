import { LRUCache } from 'lru-cache';

export interface KnownUsersOptions {
  /** Most users remembered; the least recently connected are forgotten first. */
  readonly max: number;
  /** How long an answer "this user exists" is trusted without reading PostgreSQL again. */
  readonly ttlMs: number;
}

/**
 * Users this gateway has seen exist lately (their chats were read for a socket). A token of
 * one of them is upgraded at once, synchronously; any other user's chats are read before the
 * upgrade is answered, so a token naming nobody gets 401 instead of a socket. Not a security
 * boundary on its own: deleted accounts are refused by the revocation list first (and
 * forgotten here), and a socket's chats are read again when a remembered user connects, which
 * closes it with 4003 if the row went away by other means.
 */
export class KnownUsers {
  private readonly cache: LRUCache<string, true>;

  constructor(options: KnownUsersOptions) {
    // `updateAgeOnGet` stays off: an entry is trusted for ttlMs from the last read that saw the user.
    this.cache = new LRUCache<string, true>({ max: options.max, ttl: options.ttlMs, ttlAutopurge: false });
  }

  has(userId: string): boolean {
    return this.cache.has(userId);
  }

  remember(userId: string): void {
    this.cache.set(userId, true);
  }

  forget(userId: string): void {
    this.cache.delete(userId);
  }

  get size(): number {
    return this.cache.size;
  }
}
