import type { EntityManager } from '@mikro-orm/postgresql';
import { NeonError, requireAllowed, type ChatAction, type ChatType, type Membership } from '@neonchat/common/contracts';
import { CHAT_ACCESS, positional } from '@neonchat/common/queries';

const CHAT_ACCESS_STATEMENT = positional(CHAT_ACCESS);

export interface ChatAccess {
  readonly chatType: ChatType;
  readonly membership: Membership | null;
}

/** The chat's type and the caller's membership, in one query; undefined when the chat does not exist. */
export async function loadChatAccess(em: EntityManager, chatId: string, userId: string): Promise<ChatAccess | undefined> {
  const rows = await em.execute<Array<{ type: ChatType; role: Membership['role'] | null; status: Membership['status'] | null }>>(
    CHAT_ACCESS_STATEMENT,
    [userId, chatId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { chatType: row.type, membership: row.role && row.status ? { role: row.role, status: row.status } : null };
}

/**
 * Loads access (unless already loaded) and asks the permission module; throws the mapped
 * NeonError when refused.
 */
export async function requireChatAction(
  em: EntityManager,
  chatId: string,
  userId: string,
  action: ChatAction,
  loaded?: ChatAccess,
): Promise<ChatAccess> {
  const access = loaded ?? (await loadChatAccess(em, chatId, userId));
  if (!access) throw new NeonError('not_found', 'chat not found');
  requireAllowed(action, access.chatType, access.membership);
  return access;
}
