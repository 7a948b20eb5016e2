import type pg from 'pg';
import type { ChatBus } from './bus/chat-bus.js';
import { ACCOUNT_SUBJECTS, BlocksChangedEvent, NeonError, compileValidator, decodeJson } from '@neonchat/common/contracts';
import { BLOCKERS_OF_USER, DIRECT_CHAT_MEMBERS } from '@neonchat/common/queries';

/** Users whose blockers are kept; past it the map starts over (one entry per user who sent lately). */
const BLOCKERS_MAX = 200_000;
/** A user's blockers are read again after this long: bounds what a missed announcement could leave stale. */
const BLOCKERS_TTL_MS = 10 * 60_000;
/** 1:1 chats whose two members are kept (they never change); past it the map starts over. */
const PEERS_MAX = 200_000;
const NONE: ReadonlySet<string> = new Set();

const blocksChangedValidator = compileValidator(BlocksChangedEvent);

/** What the check reads with: a `pg.Pool` (a port, so the unit tests answer from plain data). */
export interface SqlReader {
  query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * Whether a sender is blocked in a 1:1 chat, for the send path, from memory: who blocked each
 * user (read with the user's chats when a socket connects, `learnBlockers`, or once on a miss)
 * and the other member of each 1:1 chat (on the socket's membership view, or read once: it never
 * changes). A block or unblock (the api's `account.blocks.changed`) updates the blocked user's
 * entry in place; a NATS reconnect, which may have lost announcements, drops them all, and an
 * entry is read again after ten minutes anyway.
 *
 * Before, each (chat, sender) was asked of PostgreSQL on its first message and again every
 * minute, and any block anywhere dropped every answer: at 100,000 sockets chatting, a query per
 * message (docs/BENCHMARKS.md, issue 32 session 12).
 *
 * A read started before an announcement is not stored after it (a generation counter), and
 * frames asking while a read is under way share it: they resume in the order they asked, so a
 * client's pipelined messages are published (and stored) in the order sent.
 */
export class DirectChatBlocks {
  private readonly blockers = new Map<string, { ids: ReadonlySet<string>; at: number }>();
  private readonly blockersReads = new Map<string, Promise<ReadonlySet<string>>>();
  private readonly peers = new Map<string, readonly [string, string]>();
  private readonly peerReads = new Map<string, Promise<readonly [string, string] | null>>();
  private generation = 0;

  constructor(
    private readonly pool: SqlReader,
    private readonly now: () => number = Date.now,
  ) {}

  /** Applies block announcements; forgets every user's blockers after a reconnect. */
  follow(bus: Pick<ChatBus, 'subscribe' | 'onReconnect'>): void {
    bus.subscribe(ACCOUNT_SUBJECTS.blocksChanged, (data) => this.announced(data));
    bus.onReconnect(() => this.forgetBlockers());
  }

  /** The counter a reader takes before reading blockers itself, for `learnBlockers`. */
  stamp(): number {
    return this.generation;
  }

  /** Who blocked `userId`, as read by the caller (the connect read) when the generation was `stamp`. */
  learnBlockers(userId: string, blockerIds: readonly string[], stamp: number): void {
    if (stamp !== this.generation) return;
    this.remember(userId, blockerIds.length ? new Set(blockerIds) : NONE);
  }

  /** Drops every user's blockers (tests, and after a reconnect). */
  forgetBlockers(): void {
    this.generation++;
    this.blockers.clear();
    this.blockersReads.clear();
  }

  /** Whether the other member of 1:1 chat `chatId` blocked `senderId`; `peer` when the caller knows it. */
  async isBlocked(chatId: string, senderId: string, peer?: string): Promise<boolean> {
    const other = peer ?? (await this.peerOf(chatId, senderId));
    if (other === undefined) return false;
    const known = this.blockers.get(senderId);
    const ids = known !== undefined && this.now() - known.at < BLOCKERS_TTL_MS ? known.ids : await this.readBlockers(senderId);
    return ids.has(other);
  }

  /** `forbidden` when the other member of this 1:1 chat blocked the sender. */
  async requireNotBlocked(chatId: string, senderId: string, peer?: string): Promise<void> {
    if (await this.isBlocked(chatId, senderId, peer))
      throw new NeonError('forbidden', 'you cannot write to this user', { details: { field: 'chat_id' } });
  }

  private announced(data: Uint8Array): void {
    this.generation++;
    this.blockersReads.clear();
    let event: BlocksChangedEvent;
    try {
      event = blocksChangedValidator.parse(decodeJson(data));
    } catch {
      // Not understood: nothing can be updated in place, so nothing cached is trusted.
      this.blockers.clear();
      return;
    }
    const known = this.blockers.get(event.blocked_id);
    if (!known) return;
    const ids = new Set(known.ids);
    if (event.blocked) ids.add(event.blocker_id);
    else ids.delete(event.blocker_id);
    this.remember(event.blocked_id, ids.size ? ids : NONE, known.at);
  }

  private remember(userId: string, ids: ReadonlySet<string>, at = this.now()): void {
    if (this.blockers.size >= BLOCKERS_MAX && !this.blockers.has(userId)) this.blockers.clear();
    this.blockers.set(userId, { ids, at });
  }

  private readBlockers(userId: string): Promise<ReadonlySet<string>> {
    const reading = this.blockersReads.get(userId);
    if (reading) return reading;
    const stamp = this.generation;
    const read = this.pool
      .query<{ blocker_ids: string[] }>(BLOCKERS_OF_USER, [userId])
      .then(({ rows }) => {
        const list = rows[0]?.blocker_ids ?? [];
        const ids = list.length ? new Set(list) : NONE;
        this.learnBlockers(userId, list, stamp);
        return ids;
      })
      .finally(() => {
        if (this.blockersReads.get(userId) === read) this.blockersReads.delete(userId);
      });
    this.blockersReads.set(userId, read);
    return read;
  }

  /** The other member of 1:1 chat `chatId` for `userId`; undefined when it is not their 1:1 chat. */
  private async peerOf(chatId: string, userId: string): Promise<string | undefined> {
    const pair = this.peers.get(chatId) ?? (await this.readPeers(chatId));
    if (!pair || !pair.includes(userId)) return undefined;
    return pair[0] === userId ? pair[1] : pair[0];
  }

  private readPeers(chatId: string): Promise<readonly [string, string] | null> {
    const reading = this.peerReads.get(chatId);
    if (reading) return reading;
    const read = this.pool
      .query<{ user1_id: string | null; user2_id: string | null }>(DIRECT_CHAT_MEMBERS, [chatId])
      .then(({ rows }) => {
        const row = rows[0];
        const pair = row?.user1_id && row.user2_id ? ([row.user1_id, row.user2_id] as const) : null;
        if (pair) {
          if (this.peers.size >= PEERS_MAX) this.peers.clear();
          this.peers.set(chatId, pair);
        }
        return pair;
      })
      .finally(() => this.peerReads.delete(chatId));
    this.peerReads.set(chatId, read);
    return read;
  }
}
