import { LRUCache } from 'lru-cache';
import type { ReplyPreview } from '@neonchat/common/contracts';

export interface ReplyPreviewCacheOptions {
  /** Previews kept; the least recently used go first. */
  readonly max: number;
  /** How long a preview found in the stream is reused. */
  readonly ttlMs: number;
}

/** Small enough to stay out of any memory budget (a preview's text is at most REPLY_PREVIEW_CHARS). */
export const REPLY_PREVIEW_CACHE_DEFAULTS: ReplyPreviewCacheOptions = { max: 1024, ttlMs: 10_000 };

/** Reads a preview from the chat's stream tail; throws a NeonError (`not_found`, `unavailable`) when it cannot. */
export type TailRead = () => Promise<ReplyPreview>;

/**
 * Reply previews found in a chat's stream tail (originals acked but not yet in PostgreSQL), so a
 * burst of replies to one fresh message reads the stream once, not once per reply: concurrent
 * misses share one read (lru-cache's `fetch`), later ones reuse its answer. A refusal is not
 * kept (the original may be found a moment later). PostgreSQL is still asked first on every
 * reply, so once the original is written its row answers. An entry lives seconds: the tail path
 * only serves the short time before the persister writes the original, and an edit or delete
 * of the original goes through the api, which needs the written row.
 */
export class ReplyPreviewCache {
  private readonly cache: LRUCache<string, ReplyPreview, TailRead>;

  constructor(options: ReplyPreviewCacheOptions = REPLY_PREVIEW_CACHE_DEFAULTS) {
    this.cache = new LRUCache<string, ReplyPreview, TailRead>({
      max: options.max,
      ttl: options.ttlMs,
      fetchMethod: (_key, _stale, { context }) => context(),
      // A read evicted while in flight still answers the replies waiting for it.
      ignoreFetchAbort: true,
    });
  }

  /** The preview of message `messageId` of chat `chatId`: kept, being read, or read now with `read`. */
  async preview(chatId: string, messageId: string, read: TailRead): Promise<ReplyPreview> {
    const preview = await this.cache.fetch(`${chatId}/${messageId}`, { context: read });
    if (!preview) throw new Error('reply preview read answered nothing');
    // A copy: each reply puts it into an event of its own.
    return { ...preview };
  }

  get size(): number {
    return this.cache.size;
  }
}
