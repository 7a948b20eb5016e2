import type pg from 'pg';
import { ACTIVE_CHATS_OF_USER, ACTIVE_CHATS_OF_USERS, ACTIVE_MEMBERS_OF_CHATS, MEMBERSHIP } from '@neonchat/common/queries';
import type { MemberStatus } from '@neonchat/common/contracts';
import type { ChatMembershipView } from './socket-state.js';

/** Where the connect read's "who blocked this user" goes (the send path's block check). */
export interface BlockersSink {
  stamp(): number;
  learnBlockers(userId: string, blockerIds: readonly string[], stamp: number): void;
}

type ViewRow = { type: ChatMembershipView['type']; role: ChatMembershipView['role']; peer_id: string | null };

const viewOf = (r: ViewRow): ChatMembershipView =>
  r.peer_id ? { type: r.type, role: r.role, peer: r.peer_id } : { type: r.type, role: r.role };

/**
 * Reads memberships from PostgreSQL (read-only). Used when a socket connects and on a cache
 * miss; membership events keep sockets' views current in between.
 */
export class MembershipReader {
  constructor(
    private readonly pool: pg.Pool,
    private readonly blockers?: BlockersSink,
  ) {}

  /**
   * The user's active chats, or undefined when no such user exists (a token outliving its
   * account). The same read tells `blockers` who blocked the user.
   */
  async activeChatsOf(userId: string): Promise<Map<string, ChatMembershipView> | undefined> {
    const stamp = this.blockers?.stamp() ?? 0;
    const { rows } = await this.pool.query<{
      chat_id: string | null;
      type: ChatMembershipView['type'] | null;
      role: ChatMembershipView['role'] | null;
      peer_id: string | null;
      blocker_ids: string[];
    }>(ACTIVE_CHATS_OF_USER, [userId]);
    if (!rows.length) return undefined;
    this.blockers?.learnBlockers(userId, rows[0]!.blocker_ids, stamp);
    const chats = new Map<string, ChatMembershipView>();
    for (const r of rows)
      if (r.chat_id !== null && r.type !== null && r.role !== null)
        chats.set(r.chat_id, viewOf({ type: r.type, role: r.role, peer_id: r.peer_id }));
    return chats;
  }

  /** Active chats of many users in one query (the resync after a NATS reconnect). */
  async activeChatsOfMany(userIds: readonly string[]): Promise<Map<string, Map<string, ChatMembershipView>>> {
    const out = new Map<string, Map<string, ChatMembershipView>>(userIds.map((id) => [id, new Map()]));
    if (!userIds.length) return out;
    const { rows } = await this.pool.query<ViewRow & { user_id: string; chat_id: string }>(ACTIVE_CHATS_OF_USERS, [userIds]);
    for (const r of rows) out.get(r.user_id)?.set(r.chat_id, viewOf(r));
    return out;
  }

  /** The user's membership of a chat whatever its status (a ban is told apart from a stranger). */
  async membership(chatId: string, userId: string): Promise<(ChatMembershipView & { status: MemberStatus }) | undefined> {
    const { rows } = await this.pool.query<ViewRow & { status: MemberStatus }>(MEMBERSHIP, [chatId, userId]);
    const row = rows[0];
    return row ? { ...viewOf(row), status: row.status } : undefined;
  }

  /** Active members of each chat: who shares a chat with whom, for presence. */
  async membersOf(chatIds: readonly string[]): Promise<Map<string, string[]>> {
    const members = new Map<string, string[]>(chatIds.map((id) => [id, []]));
    if (!chatIds.length) return members;
    const { rows } = await this.pool.query<{ chat_id: string; user_id: string }>(ACTIVE_MEMBERS_OF_CHATS, [chatIds]);
    for (const r of rows) members.get(r.chat_id)?.push(r.user_id);
    return members;
  }
}
