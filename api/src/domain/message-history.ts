import type { EntityManager } from '@mikro-orm/postgresql';
import { HISTORY_PAGE, MESSAGE_SEQ, positional, type HistoryDirection } from '@neonchat/common/queries';
import {
  messageFromRow,
  NeonError,
  requireAllowed,
  type ChatType,
  type MemberRole,
  type MemberStatus,
  type Message,
  type MessageReaction,
} from '@neonchat/common/contracts';

export interface HistoryPage {
  readonly messages: Message[];
  readonly has_previous: boolean;
  readonly has_next: boolean;
}

interface HistoryRowSql {
  chat_type: ChatType;
  member_role: MemberRole | null;
  member_status: MemberStatus | null;
  id: string | null;
  chat_id: string;
  sender_id: string;
  text: string;
  seq: string;
  created_at: Date | string;
  updated_at: Date | string | null;
  reactions: MessageReaction[] | null;
}

type MessageRowSql = HistoryRowSql & { id: string };

async function requireMessage(em: EntityManager, chatId: string, messageId: string, field: string): Promise<void> {
  const rows = await em.execute<Array<{ seq: string }>>(positional(MESSAGE_SEQ), [chatId, messageId]);
  if (!rows[0]) throw new NeonError('not_found', `${field}: no such message in this chat`, { details: { field } });
}

/** The shared statements (common's named queries) with MikroORM's `?` placeholders, built once. */
const HISTORY_STATEMENTS: Readonly<Record<HistoryDirection, string>> = {
  newest: positional(HISTORY_PAGE.newest),
  before: positional(HISTORY_PAGE.before),
  after: positional(HISTORY_PAGE.after),
};

/**
 * The chat's type and the caller's membership joined with the page itself (HISTORY_PAGE): the
 * rows are fetched before `decide()` has spoken and dropped when it refuses, so nothing of a
 * chat leaves without the permission module's yes.
 */
export function historyStatement(direction: HistoryDirection): string {
  return HISTORY_STATEMENTS[direction];
}

/**
 * One page of a chat's history, oldest first, by keyset on (chat_id, seq): the newest page,
 * the page before `before_id`, or the page after `after_id`, for a caller `decide()` lets
 * read. One row more than asked tells whether there is more in the walking direction; no
 * OFFSET, so pages neither skip nor repeat while new messages arrive. Deleted messages are
 * left out.
 */
export async function readHistory(
  em: EntityManager,
  chatId: string,
  callerId: string,
  options: { limit: number; beforeId?: string | undefined; afterId?: string | undefined },
): Promise<HistoryPage> {
  const { limit } = options;
  const direction: HistoryDirection = options.afterId ? 'after' : options.beforeId ? 'before' : 'newest';
  const cursor = options.afterId ?? options.beforeId;
  const params = cursor === undefined ? [callerId, chatId, limit + 1, chatId] : [callerId, chatId, chatId, cursor, limit + 1, chatId];
  const rows = await em.execute<HistoryRowSql[]>(historyStatement(direction), params);

  const first = rows[0];
  if (!first) throw new NeonError('not_found', 'chat not found');
  const membership = first.member_role && first.member_status ? { role: first.member_role, status: first.member_status } : null;
  requireAllowed('read', first.chat_type, membership);

  const found = rows.filter((r): r is MessageRowSql => r.id !== null);
  // An empty page after a cursor: nothing further, or a cursor that names no message (404)?
  if (!found.length && cursor !== undefined) await requireMessage(em, chatId, cursor, direction === 'after' ? 'after_id' : 'before_id');
  const page = found.slice(0, limit);
  if (direction === 'after') return { messages: page.map(messageFromRow), has_previous: true, has_next: found.length > limit };
  return { messages: page.reverse().map(messageFromRow), has_previous: found.length > limit, has_next: direction === 'before' };
}
