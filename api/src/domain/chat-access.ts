import { NeonError, requireAllowed, type ChatAction, type ChatType, type Membership } from '@neonchat/common/contracts';
import type { Repositories } from '../repositories/mod.js';

export interface ChatAccess {
  readonly chatType: ChatType;
  readonly membership: Membership | null;
}

/** The chat's type and the caller's membership, in one query; undefined when the chat does not exist. */
export async function loadChatAccess(repos: Repositories, chatId: string, userId: string): Promise<ChatAccess | undefined> {
  const row = await repos.chats.access(chatId, userId);
  if (!row) return undefined;
  return { chatType: row.type, membership: row.role && row.status ? { role: row.role, status: row.status } : null };
}

/**
 * Loads access (unless already loaded) and asks the permission module; throws the mapped
 * NeonError when refused.
 */
export async function requireChatAction(
  repos: Repositories,
  chatId: string,
  userId: string,
  action: ChatAction,
  loaded?: ChatAccess,
): Promise<ChatAccess> {
  const access = loaded ?? (await loadChatAccess(repos, chatId, userId));
  if (!access) throw new NeonError('not_found', 'chat not found');
  requireAllowed(action, access.chatType, access.membership);
  return access;
}
