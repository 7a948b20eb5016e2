import type { EntityManager } from '@mikro-orm/postgresql';
import { toIsoTimestamp, type ChatType } from '@neonchat/common/contracts';
import { isOnline, type PresenceLookup } from './presence-lookup.js';

export interface ChatListItem {
  readonly id: string;
  readonly type: ChatType;
  readonly name: string | null;
  readonly partner: { id: string; username: string; online: boolean } | null;
  readonly last_message: { text: string; sender_id: string; created_at: string } | null;
  readonly unread_count: number;
  readonly updated_at: string;
}

export interface ChatListPage {
  readonly chats: ChatListItem[];
  readonly total: number;
  readonly has_more: boolean;
}

interface ChatListSql {
  id: string | null;
  type: ChatType | null;
  name: string | null;
  updated_at: Date | string | null;
  partner_id: string | null;
  partner_username: string | null;
  last_text: string | null;
  last_sender_id: string | null;
  last_created_at: Date | string | null;
  unread_count: string | number | null;
  total: string | number;
}

// Unread = later than the member's read mark, not the member's own, not deleted. The
// (chat_id, seq) index bounds each count to the unread range of one chat.
const UNREAD_WHERE = 'm.chat_id = p.chat_id and m.seq > p.last_read_seq and m.sender_id <> ? and m.deleted_at is null';

/**
 * One page of the caller's chats, newest activity first, in ONE query whatever the page
 * size: `mine` is every chat the caller is an active member of (banned and departed members
 * don't list it), the page is cut from it, and only the page's rows get their partner, last
 * message (newest not deleted) and unread count. `total` rides along as a scalar subquery; a
 * page past the end still returns one row carrying it. Presence is one more NATS request.
 */
export async function listChats(
  em: EntityManager,
  presence: PresenceLookup,
  callerId: string,
  options: { limit: number; offset: number; unreadOnly: boolean },
): Promise<ChatListPage> {
  const rows = await em.execute<ChatListSql[]>(
    `with mine as (
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
            lm.text as last_text, lm.sender_id as last_sender_id, lm.created_at as last_created_at,
            (select count(*) from messages m where ${UNREAD_WHERE}) as unread_count,
            (select count(*) from mine) as total
       from (select 1) as one
       left join page p on true
       left join users u on p.type = 'direct' and u.id = case when p.user1_id = ? then p.user2_id else p.user1_id end
       left join lateral (
         select m.text, m.sender_id, m.created_at from messages m
          where m.chat_id = p.chat_id and m.deleted_at is null order by m.seq desc limit 1
       ) lm on true
      order by p.updated_at desc nulls last, p.chat_id desc`,
    [callerId, options.unreadOnly, callerId, options.limit, options.offset, callerId, callerId],
  );
  const total = Number(rows[0]?.total ?? 0);
  const pageRows = rows.filter((r): r is ChatListSql & { id: string; type: ChatType; updated_at: Date | string } => r.id !== null);
  const statuses = await presence.statuses(pageRows.flatMap((r) => (r.partner_id ? [r.partner_id] : [])));
  const chats = pageRows.map((r): ChatListItem => ({
    id: r.id,
    type: r.type,
    name: r.name,
    partner:
      r.partner_id && r.partner_username
        ? { id: r.partner_id, username: r.partner_username, online: isOnline(statuses.get(r.partner_id)) }
        : null,
    last_message:
      r.last_text !== null && r.last_sender_id && r.last_created_at
        ? { text: r.last_text, sender_id: r.last_sender_id, created_at: toIsoTimestamp(r.last_created_at) }
        : null,
    unread_count: Number(r.unread_count ?? 0),
    updated_at: toIsoTimestamp(r.updated_at),
  }));
  return { chats, total, has_more: options.offset + chats.length < total };
}
