import { NeonError, toIsoTimestamp, type ChatType, type MemberRole, type MembershipChangedEvent } from '@neonchat/common/contracts';
import { uuidv7 } from '@neonchat/common/runtime';
import { requireChatAction } from './chat-access.js';
import type { Repositories } from '../repositories/mod.js';

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
  repos: Repositories,
  creatorId: string,
  input: { type: 'group' | 'channel'; name: string; memberIds: readonly string[] },
): Promise<{ chat: ChatSummary; announcements: MembershipChangedEvent[] }> {
  const memberIds = [...new Set(input.memberIds)].filter((id) => id !== creatorId);
  if (memberIds.length) {
    if ((await repos.users.countExisting(memberIds)) !== memberIds.length)
      throw new NeonError('not_found', 'member_ids: some users do not exist', { details: { field: 'member_ids' } });
  }
  const id = uuidv7();
  const now = new Date();
  await repos.transactional(async (tx) => {
    await tx.chats.insertGroup({ id, type: input.type, name: input.name, creatorId, at: now });
    await tx.members.insertGroupMembers(id, creatorId, [creatorId, ...memberIds], now);
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

async function loadSummary(repos: Repositories, chatId: string, callerId: string): Promise<ChatSummary> {
  const row = await repos.chats.summary(chatId, callerId);
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
export async function loadChatDetails(repos: Repositories, chatId: string, callerId: string): Promise<ChatDetails> {
  const access = await requireChatAction(repos, chatId, callerId, 'read');
  const summary = await loadSummary(repos, chatId, callerId);
  const members = await repos.members.activeWithUsernames(chatId);
  return { ...summary, members, my_role: access.membership?.role ?? 'member' };
}

export async function renameChat(repos: Repositories, chatId: string, callerId: string, name: string): Promise<ChatSummary> {
  await requireChatAction(repos, chatId, callerId, 'rename');
  await repos.chats.rename(chatId, name);
  return loadSummary(repos, chatId, callerId);
}
