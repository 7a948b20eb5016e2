import type pg from 'pg';
import type { ChatMembershipView } from './socket-state.js';

/**
 * Reads memberships from PostgreSQL (read-only). Used when a socket connects and on a cache
 * miss; membership events keep sockets' views current in between.
 */
export class MembershipReader {
  constructor(private readonly pool: pg.Pool) {}

  async activeChatsOf(userId: string): Promise<Map<string, ChatMembershipView>> {
    const { rows } = await this.pool.query<{ chat_id: string; type: ChatMembershipView['type']; role: ChatMembershipView['role'] }>(
      `select m.chat_id, c.type, m.role
         from chat_members m join chats c on c.id = m.chat_id
        where m.user_id = $1 and m.status = 'active'`,
      [userId],
    );
    return new Map(rows.map((r) => [r.chat_id, { type: r.type, role: r.role }]));
  }

  async membership(chatId: string, userId: string): Promise<ChatMembershipView | undefined> {
    const { rows } = await this.pool.query<{ type: ChatMembershipView['type']; role: ChatMembershipView['role'] }>(
      `select c.type, m.role from chat_members m join chats c on c.id = m.chat_id
        where m.chat_id = $1 and m.user_id = $2 and m.status = 'active'`,
      [chatId, userId],
    );
    return rows[0];
  }
}
