import type { EntityManager } from '@mikro-orm/postgresql';
import type { ChatType, MemberRole, MemberStatus } from '@neonchat/common/contracts';

export interface ChatAccessRow {
  readonly type: ChatType;
  readonly role: MemberRole | null;
  readonly status: MemberStatus | null;
}

export interface ChatTimesRow {
  readonly id: string;
  readonly created_at: Date | string;
  readonly updated_at: Date | string;
}

export interface ChatSummaryRow {
  readonly id: string;
  readonly type: ChatType;
  readonly name: string | null;
  readonly user1_id: string | null;
  readonly user2_id: string | null;
  readonly created_at: Date | string;
  readonly updated_at: Date | string;
  readonly partner_username: string | null;
}

export interface ChatListRow {
  readonly id: string | null;
  readonly type: ChatType | null;
  readonly name: string | null;
  readonly updated_at: Date | string | null;
  readonly partner_id: string | null;
  readonly partner_username: string | null;
  readonly last_id: string | null;
  readonly last_text: string | null;
  readonly last_sender_id: string | null;
  readonly last_created_at: Date | string | null;
  readonly unread_count: string | number | null;
  readonly others_read_seq: string | number | null;
  readonly mention_count: string | number | null;
  readonly total: string | number;
}

/** Chat `?` (2nd)'s type and user `?` (1st)'s membership (nulls for a stranger); no row when the chat does not exist. */
const CHAT_ACCESS = `select c.type, m.role, m.status
   from chats c left join chat_members m on m.chat_id = c.id and m.user_id = ?
  where c.id = ?`;

// Unread mentions: the caller's rows of message_mentions (primary key (user_id, chat_id, seq))
// from the read mark on, of messages not deleted since.
// Unread = later than the member's read mark, not the member's own, not deleted. The
// (chat_id, seq) index bounds each count to the unread range of one chat.
const UNREAD_WHERE = 'm.chat_id = p.chat_id and m.seq > p.last_read_seq and m.sender_id <> ? and m.deleted_at is null';

/**
 * How far the other active members of chat `?` (1st) have read, user `?` (2nd) left out: the
 * highest read mark (a message seq), 0 if none. The (chat_id, user_id) key bounds it to one chat.
 */
export const OTHERS_READ_SEQ = `select coalesce(max(o.last_read_seq), 0) from chat_members o
   where o.chat_id = ? and o.user_id <> ? and o.status = 'active'`;

/**
 * The caller's chat list page in ONE statement whatever the page size: `mine` is every chat
 * the caller is an active member of, the page is cut from it, and only the page's rows get
 * their partner, last message (newest not deleted) and unread count. `total` rides along as a
 * scalar subquery; a page past the end still returns one row carrying it.
 */
const CHAT_LIST_PAGE = `with mine as (
       select c.id as chat_id, c.type, c.name, c.updated_at, c.user1_id, c.user2_id, cm.last_read_seq
         from chat_members cm join chats c on c.id = cm.chat_id
        where cm.user_id = ? and cm.status = 'active'
          and (not ?::boolean or (coalesce(c.last_message_seq, 0) > cm.last_read_seq and exists (
                select 1 from messages m where m.chat_id = c.id and m.seq > cm.last_read_seq and m.sender_id <> ? and m.deleted_at is null)))
     ),
     page as (
       select * from mine order by updated_at desc, chat_id desc limit ? offset ?
     )
     select p.chat_id as id, p.type, p.name, p.updated_at,
            u.id as partner_id, u.username as partner_username,
            lm.id as last_id,
            -- A message with files previews as "📎 photo" / "📎 file" (then its text, if any).
            case when lm.attachments is null then lm.text
                 else concat_ws(' ', case when lm.attachments->0->>'kind' = 'image' then '📎 photo' else '📎 file' end, nullif(lm.text, ''))
            end as last_text, lm.sender_id as last_sender_id, lm.created_at as last_created_at,
            (select count(*) from messages m where ${UNREAD_WHERE}) as unread_count,
            (${OTHERS_READ_SEQ.replace('?', 'p.chat_id')}) as others_read_seq,
            (select count(*) from message_mentions mm join messages m on m.id = mm.message_id
              where mm.user_id = ? and mm.chat_id = p.chat_id and mm.seq > p.last_read_seq and m.deleted_at is null) as mention_count,
            (select count(*) from mine) as total
       from (select 1) as one
       left join page p on true
       left join users u on p.type = 'direct' and u.id = case when p.user1_id = ? then p.user2_id else p.user1_id end
       left join lateral (
         select m.id, m.text, m.attachments, m.sender_id, m.created_at from messages m
          where m.chat_id = p.chat_id and m.deleted_at is null order by m.seq desc limit 1
       ) lm on true
      order by p.updated_at desc nulls last, p.chat_id desc`;

/** `chats` rows: access checks, the row lock of membership changes, direct and group chats, the chat list. */
export class ChatRepository {
  constructor(private readonly em: EntityManager) {}

  /** The chat's type and the user's membership in one query; undefined when the chat does not exist. */
  async access(chatId: string, userId: string): Promise<ChatAccessRow | undefined> {
    const rows = await this.em.execute<ChatAccessRow[]>(CHAT_ACCESS, [userId, chatId]);
    return rows[0];
  }

  /** The chat's type, its row locked for the rest of the transaction; undefined when there is no such chat. */
  async lockType(chatId: string): Promise<ChatType | undefined> {
    const rows = await this.em.execute<Array<{ type: ChatType }>>('select type from chats where id = ? for update', [chatId]);
    return rows[0]?.type;
  }

  /** The direct chat of two users, whichever way round they were stored. */
  async findDirect(a: string, b: string): Promise<ChatTimesRow | undefined> {
    const rows = await this.em.execute<ChatTimesRow[]>(
      `select id, created_at, updated_at from chats
        where type = 'direct' and least(user1_id, user2_id) = least(?::uuid, ?::uuid)
          and greatest(user1_id, user2_id) = greatest(?::uuid, ?::uuid)`,
      [a, b, a, b],
    );
    return rows[0];
  }

  /** A direct chat row; the unique index on the ordered pair refuses a second one. */
  async insertDirect(id: string, creatorId: string, partnerId: string): Promise<void> {
    await this.em.execute(`insert into chats (id, type, user1_id, user2_id, created_by) values (?, 'direct', ?, ?, ?)`, [
      id,
      creatorId,
      partnerId,
      creatorId,
    ]);
  }

  async insertGroup(chat: { id: string; type: 'group' | 'channel'; name: string; creatorId: string; at: Date }): Promise<void> {
    await this.em.execute(`insert into chats (id, type, name, created_by, created_at, updated_at) values (?, ?, ?, ?, ?, ?)`, [
      chat.id,
      chat.type,
      chat.name,
      chat.creatorId,
      chat.at,
      chat.at,
    ]);
  }

  /** The chat with the caller's partner's name when it is a direct one. */
  async summary(chatId: string, callerId: string): Promise<ChatSummaryRow | undefined> {
    const rows = await this.em.execute<ChatSummaryRow[]>(
      `select c.id, c.type, c.name, c.user1_id, c.user2_id, c.created_at, c.updated_at, u.username as partner_username
         from chats c
         left join users u on c.type = 'direct' and u.id = case when c.user1_id = ? then c.user2_id else c.user1_id end
        where c.id = ?`,
      [callerId, chatId],
    );
    return rows[0];
  }

  async rename(chatId: string, name: string): Promise<void> {
    await this.em.execute('update chats set name = ? where id = ?', [name, chatId]);
  }

  /** One page of the caller's active chats, newest activity first (CHAT_LIST_PAGE). */
  async listPage(callerId: string, options: { limit: number; offset: number; unreadOnly: boolean }): Promise<ChatListRow[]> {
    return this.em.execute<ChatListRow[]>(CHAT_LIST_PAGE, [
      callerId,
      options.unreadOnly,
      callerId,
      options.limit,
      options.offset,
      callerId, // unread: not the caller's own
      callerId, // others' read position: the caller left out
      callerId, // mentions of the caller
      callerId, // the partner of a direct chat
    ]);
  }
}
