import type { EntityManager } from '@mikro-orm/postgresql';
import { NeonError, toIsoTimestamp, type ChatType, type MemberRole, type MembershipChangedEvent } from '@neonchat/common/contracts';
import { uuidv7 } from '@neonchat/common/runtime';
import { requireChatAction } from './chat-access.js';
import { uuidArray } from './sql-arrays.js';

export interface ChatSummary {
  readonly id: string;
  readonly type: ChatType;
  readonly name: string | null;
  readonly partner: { id: string; username: string } | null;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface ChatDetails extends ChatSummary {
  readonly members: Array<{ user_id: string; username: string; role: MemberRole }>;
  readonly my_role: MemberRole;
}

/** The most members one request may add; larger groups grow by later additions. */
export const MAX_INITIAL_MEMBERS = 200;

/**
 * A group or channel: the creator is its admin, everyone in `memberIds` a member. Unknown
 * users refuse the whole request (404 naming `member_ids`) rather than creating a partial group.
 */
export async function createGroupChat(
  em: EntityManager,
  creatorId: string,
  input: { type: 'group' | 'channel'; name: string; memberIds: readonly string[] },
): Promise<{ chat: ChatSummary; announcements: MembershipChangedEvent[] }> {
  const memberIds = [...new Set(input.memberIds)].filter((id) => id !== creatorId);
  if (memberIds.length) {
    const found = await em.execute<Array<{ id: string }>>('select id from users where id = any(?::uuid[])', [uuidArray(memberIds)]);
    if (found.length !== memberIds.length)
      throw new NeonError('not_found', 'member_ids: some users do not exist', { details: { field: 'member_ids' } });
  }
  const id = uuidv7();
  const now = new Date();
  await em.transactional(async (tx) => {
    await tx.execute(`insert into chats (id, type, name, created_by, created_at, updated_at) values (?, ?, ?, ?, ?, ?)`, [
      id,
      input.type,
      input.name,
      creatorId,
      now,
      now,
    ]);
    await tx.execute(
      `insert into chat_members (chat_id, user_id, role, joined_at)
       select ?, u, case when u = ?::uuid then 'admin' else 'member' end, ? from unnest(?::uuid[]) as u`,
      [id, creatorId, now, uuidArray([creatorId, ...memberIds])],
    );
  });
  const at = now.toISOString();
  const announcements = [creatorId, ...memberIds].map((userId): MembershipChangedEvent => ({
    type: 'membership.changed',
    chat_id: id,
    chat_type: input.type,
    user_id: userId,
    role: userId === creatorId ? 'admin' : 'member',
    status: 'active',
    at,
  }));
  return { chat: { id, type: input.type, name: input.name, partner: null, created_at: at, updated_at: at }, announcements };
}

interface ChatSql {
  id: string;
  type: ChatType;
  name: string | null;
  user1_id: string | null;
  user2_id: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

async function loadSummary(em: EntityManager, chatId: string, callerId: string): Promise<ChatSummary> {
  const rows = await em.execute<Array<ChatSql & { partner_username: string | null }>>(
    `select c.id, c.type, c.name, c.user1_id, c.user2_id, c.created_at, c.updated_at, u.username as partner_username
       from chats c
       left join users u on c.type = 'direct' and u.id = case when c.user1_id = ? then c.user2_id else c.user1_id end
      where c.id = ?`,
    [callerId, chatId],
  );
  const row = rows[0];
  if (!row) throw new NeonError('not_found', 'chat not found');
  const partnerId = row.user1_id === callerId ? row.user2_id : row.user1_id;
  return {
    id: row.id,
    type: row.type,
    name: row.name,
    partner: row.type === 'direct' && partnerId && row.partner_username ? { id: partnerId, username: row.partner_username } : null,
    created_at: toIsoTimestamp(row.created_at),
    updated_at: toIsoTimestamp(row.updated_at),
  };
}

/** A chat with its active members, for anyone allowed to read it. */
export async function loadChatDetails(em: EntityManager, chatId: string, callerId: string): Promise<ChatDetails> {
  const access = await requireChatAction(em, chatId, callerId, 'read');
  const summary = await loadSummary(em, chatId, callerId);
  const members = await em.execute<Array<{ user_id: string; username: string; role: MemberRole }>>(
    `select m.user_id, u.username, m.role from chat_members m join users u on u.id = m.user_id
      where m.chat_id = ? and m.status = 'active' order by m.role, m.joined_at, m.user_id`,
    [chatId],
  );
  return { ...summary, members, my_role: access.membership?.role ?? 'member' };
}

export async function renameChat(em: EntityManager, chatId: string, callerId: string, name: string): Promise<ChatSummary> {
  await requireChatAction(em, chatId, callerId, 'rename');
  await em.execute('update chats set name = ? where id = ?', [name, chatId]);
  return loadSummary(em, chatId, callerId);
}
