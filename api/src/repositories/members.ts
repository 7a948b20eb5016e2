import type { EntityManager } from '@mikro-orm/postgresql';
import type { MemberRole, MemberStatus } from '@neonchat/common/contracts';
import { uuidArray } from './sql-arrays.js';

export interface MemberState {
  readonly chat_id: string;
  readonly user_id: string;
  readonly role: MemberRole;
  readonly status: MemberStatus;
}

export interface ReadMarkRow {
  readonly last_read_seq: string;
  readonly unread_count: string;
}

/**
 * `chat_members` rows. The api writes role, status, joined_at (membership changes) and moves
 * `last_read_seq` forward for `POST /chats/{id}/read` (see "Columns this service writes" in
 * the api README for why the persister writes it too).
 */
export class MemberRepository {
  constructor(private readonly em: EntityManager) {}

  async find(chatId: string, userId: string): Promise<MemberState | undefined> {
    const rows = await this.em.execute<MemberState[]>(
      'select chat_id, user_id, role, status from chat_members where chat_id = ? and user_id = ?',
      [chatId, userId],
    );
    return rows[0];
  }

  /** Active members with their usernames, admins first, then by joining. */
  async activeWithUsernames(chatId: string): Promise<Array<{ user_id: string; username: string; role: MemberRole }>> {
    return this.em.execute<Array<{ user_id: string; username: string; role: MemberRole }>>(
      `select m.user_id, u.username, m.role from chat_members m join users u on u.id = m.user_id
        where m.chat_id = ? and m.status = 'active' order by m.role, m.joined_at, m.user_id`,
      [chatId],
    );
  }

  /** Active admins and active members of the chat. */
  async activeCounts(chatId: string): Promise<{ admins: number; members: number }> {
    const rows = await this.em.execute<Array<{ admins: string | number; members: string | number }>>(
      `select count(*) filter (where role = 'admin') as admins, count(*) as members
         from chat_members where chat_id = ? and status = 'active'`,
      [chatId],
    );
    return { admins: Number(rows[0]?.admins ?? 0), members: Number(rows[0]?.members ?? 0) };
  }

  /** A member row: inserted, or updated (joined_at restarts when someone becomes active again). */
  async save(state: MemberState, existed: boolean): Promise<void> {
    if (existed)
      await this.em.execute(
        `update chat_members set role = ?, status = ?,
                joined_at = case when status <> 'active' and ? = 'active' then now() else joined_at end
          where chat_id = ? and user_id = ?`,
        [state.role, state.status, state.status, state.chat_id, state.user_id],
      );
    else
      await this.em.execute('insert into chat_members (chat_id, user_id, role, status) values (?, ?, ?, ?)', [
        state.chat_id,
        state.user_id,
        state.role,
        state.status,
      ]);
  }

  /** Both sides of a new direct chat, as members. */
  async insertPair(chatId: string, a: string, b: string): Promise<void> {
    await this.em.execute(`insert into chat_members (chat_id, user_id, role) values (?, ?, 'member'), (?, ?, 'member')`, [
      chatId,
      a,
      chatId,
      b,
    ]);
  }

  /** A new group's members: `adminId` as admin, the rest as members, all joined at `at`. */
  async insertGroupMembers(chatId: string, adminId: string, userIds: readonly string[], at: Date): Promise<void> {
    await this.em.execute(
      `insert into chat_members (chat_id, user_id, role, joined_at)
       select ?, u, case when u = ?::uuid then 'admin' else 'member' end, ? from unnest(?::uuid[]) as u`,
      [chatId, adminId, at, uuidArray(userIds)],
    );
  }

  /**
   * Moves the read mark forward (never back: GREATEST, so devices racing each other settle on
   * the furthest) and counts what is still unread; undefined when the user is no member row.
   */
  async moveReadMark(chatId: string, userId: string, seq: string | number): Promise<ReadMarkRow | undefined> {
    const rows = await this.em.execute<ReadMarkRow[]>(
      `with moved as (
         update chat_members set last_read_seq = greatest(last_read_seq, ?)
          where chat_id = ? and user_id = ? returning last_read_seq
       )
       select moved.last_read_seq,
              (select count(*) from messages m where m.chat_id = ? and m.seq > moved.last_read_seq
                  and m.sender_id <> ? and m.deleted_at is null) as unread_count
         from moved`,
      [seq, chatId, userId, chatId, userId],
    );
    return rows[0];
  }
}
