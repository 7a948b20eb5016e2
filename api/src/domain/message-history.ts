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

/**
 * Whether a visible message lies on the far side of a cursor, the cursor itself included:
 * `$3` is `<=` (anything at or before an `after_id`) or `>=` (at or after a `before_id`).
 */
const BEYOND_CURSOR = {
  previous: `select exists (select 1 from messages where chat_id = ? and deleted_at is null
               and seq <= (select seq from messages where chat_id = ? and id = ?)) as beyond`,
  next: `select exists (select 1 from messages where chat_id = ? and deleted_at is null
           and seq >= (select seq from messages where chat_id = ? and id = ?)) as beyond`,
} as const;

async function anyBeyond(em: EntityManager, side: keyof typeof BEYOND_CURSOR, chatId: string, cursor: string): Promise<boolean> {
  const rows = await em.execute<Array<{ beyond: boolean }>>(BEYOND_CURSOR[side], [chatId, chatId, cursor]);
  return rows[0]?.beyond === true;
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
 * left out. The flag for the other direction is asked of the data too (one indexed `exists`),
 * so `has_previous` on an `after_id` page and `has_next` on a `before_id` page are true only when
 * a visible message is there. Both cursors at once is a 400: which page was meant is unknowable.
 */
export async function readHistory(
  em: EntityManager,
  chatId: string,
  callerId: string,
  options: { limit: number; beforeId?: string | undefined; afterId?: string | undefined },
): Promise<HistoryPage> {
  const { limit } = options;
  if (options.afterId !== undefined && options.beforeId !== undefined)
    throw new NeonError('validation_failed', 'before_id: give before_id or after_id, not both', { details: { field: 'before_id' } });
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
  const more = found.length > limit;
  if (direction === 'after')
    return { messages: page.map(messageFromRow), has_previous: await anyBeyond(em, 'previous', chatId, cursor as string), has_next: more };
  const hasNext = direction === 'before' ? await anyBeyond(em, 'next', chatId, cursor as string) : false;
  return { messages: page.reverse().map(messageFromRow), has_previous: more, has_next: hasNext };
}
