import type pg from 'pg';
import type { ChatBus } from './bus/chat-bus.js';
import { ACCOUNT_SUBJECTS, NeonError } from '@neonchat/common/contracts';
import { BLOCKED_IN_DIRECT_CHAT } from '@neonchat/common/queries';

/** Answers kept per (chat, sender); past it the cache starts over (blocks are rare, lookups cheap). */
const CACHE_MAX = 100_000;
/** An answer is asked again after this long: bounds what a missed (core NATS) announcement can leave stale. */
const ANSWER_TTL_MS = 60_000;

/**
 * Whether a sender is blocked in a 1:1 chat, for the send path: one indexed query per (chat,
 * sender) the first time, then memory. Any block change (the api's `account.blocks.changed`)
 * drops the whole cache, and an answer is asked again after a minute anyway; a generation counter keeps an answer read before a change from being
 * stored after it. Groups and channels never ask (blocks do not apply there).
 */
export class DirectChatBlocks {
  private readonly cache = new Map<string, { blocked: boolean; at: number }>();
  private readonly reading = new Map<string, Promise<boolean>>();
  private generation = 0;

  constructor(private readonly pool: Pick<pg.Pool, 'query'>) {}

  /** Drops every cached answer when the api announces a block or unblock. */
  follow(bus: Pick<ChatBus, 'subscribe'>): void {
    bus.subscribe(ACCOUNT_SUBJECTS.blocksChanged, () => this.invalidate());
  }

  invalidate(): void {
    this.generation++;
    this.cache.clear();
    this.reading.clear();
  }

  /**
   * Frames asking while the answer is being read share that one read: they resume in the order
   * they asked, so a client's pipelined messages are published (and stored) in the order sent.
   */
  isBlocked(chatId: string, senderId: string): Promise<boolean> {
    const key = `${chatId}:${senderId}`;
    const known = this.cache.get(key);
    if (known !== undefined && Date.now() - known.at < ANSWER_TTL_MS) return Promise.resolve(known.blocked);
    const reading = this.reading.get(key);
    if (reading) return reading;
    const generation = this.generation;
    const read = this.pool
      .query<{ blocked: boolean }>(BLOCKED_IN_DIRECT_CHAT, [chatId, senderId])
      .then(({ rows }) => {
        const blocked = rows[0]?.blocked === true;
        if (generation === this.generation) {
          if (this.cache.size >= CACHE_MAX) this.cache.clear();
          this.cache.set(key, { blocked, at: Date.now() });
        }
        return blocked;
      })
      .finally(() => this.reading.delete(key));
    this.reading.set(key, read);
    return read;
  }

  /** `forbidden` when the other member of this 1:1 chat blocked the sender. */
  async requireNotBlocked(chatId: string, senderId: string): Promise<void> {
    if (await this.isBlocked(chatId, senderId))
      throw new NeonError('forbidden', 'you cannot write to this user', { details: { field: 'chat_id' } });
  }
}
