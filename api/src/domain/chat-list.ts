import { toIsoTimestamp, type ChatType } from '@neonchat/common/contracts';
import { isOnline, type PresenceLookup } from './presence-lookup.js';
import type { Repositories } from '../repositories/mod.js';
import type { ChatListRow } from '../repositories/chats.js';

export interface ChatListItem {
  readonly id: string;
  readonly type: ChatType;
  readonly name: string | null;
  readonly partner: { id: string; username: string; online: boolean } | null;
  readonly last_message: { id: string; text: string; sender_id: string; created_at: string } | null;
  readonly unread_count: number;
  readonly others_read_seq: number;
  readonly mention_count: number;
  readonly updated_at: string;
}

export interface ChatListPage {
  readonly chats: ChatListItem[];
  readonly total: number;
  readonly has_more: boolean;
}

/**
 * One page of the caller's chats, newest activity first, in ONE query whatever the page
 * size: `mine` is every chat the caller is an active member of (banned and departed members
 * don't list it), the page is cut from it, and only the page's rows get their partner, last
 * message (newest not deleted) and unread count. `total` rides along as a scalar subquery; a
 * page past the end still returns one row carrying it. Presence is one more NATS request.
 */
export async function listChats(
  repos: Repositories,
  presence: PresenceLookup,
  callerId: string,
  options: { limit: number; offset: number; unreadOnly: boolean },
): Promise<ChatListPage> {
  const rows = await repos.chats.listPage(callerId, options);
  const total = Number(rows[0]?.total ?? 0);
  const pageRows = rows.filter((r): r is ChatListRow & { id: string; type: ChatType; updated_at: Date | string } => r.id !== null);
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
      r.last_id && r.last_text !== null && r.last_sender_id && r.last_created_at
        ? { id: r.last_id, text: r.last_text, sender_id: r.last_sender_id, created_at: toIsoTimestamp(r.last_created_at) }
        : null,
    unread_count: Number(r.unread_count ?? 0),
    others_read_seq: Number(r.others_read_seq ?? 0),
    mention_count: Number(r.mention_count ?? 0),
    updated_at: toIsoTimestamp(r.updated_at),
  }));
  return { chats, total, has_more: options.offset + chats.length < total };
}
