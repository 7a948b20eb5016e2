import type { EntityManager } from '@mikro-orm/postgresql';
import type { ChatType, MemberRole, MemberStatus, MessageReaction, MessageRowLike } from '@neonchat/common/contracts';
import { MESSAGE_COLUMNS, MESSAGE_WITH_REACTIONS_COLUMNS } from '@neonchat/common/queries';

export type HistoryDirection = 'newest' | 'before' | 'after';

export interface HistoryRow {
  readonly chat_type: ChatType;
  readonly member_role: MemberRole | null;
  readonly member_status: MemberStatus | null;
  readonly id: string | null;
  readonly chat_id: string;
  readonly sender_id: string;
  readonly text: string;
  readonly seq: string;
  readonly created_at: Date | string;
  readonly updated_at: Date | string | null;
  readonly reactions: MessageReaction[] | null;
}

/**
 * One keyset page of a chat's history with the chat's type and the caller's membership, in
 * ONE statement (each round trip costs more than the query). Placeholders in order: the
 * caller, the chat, then for `before`/`after` the chat and the cursor message id, then the
 * limit, then the chat again. The page walks the `(chat_id, seq)` index; a missing chat gives
 * no row, a chat with nothing on the page one row without a message.
 */
function historyPage(direction: HistoryDirection): string {
  const cursorSeq = '(select seq from messages where chat_id = ? and id = ?)';
  const page =
    direction === 'after'
      ? `select ${MESSAGE_WITH_REACTIONS_COLUMNS} from messages where chat_id = ? and seq > ${cursorSeq} and deleted_at is null order by seq asc limit ?`
      : direction === 'before'
        ? `select ${MESSAGE_WITH_REACTIONS_COLUMNS} from messages where chat_id = ? and seq < ${cursorSeq} and deleted_at is null order by seq desc limit ?`
        : `select ${MESSAGE_WITH_REACTIONS_COLUMNS} from messages where chat_id = ? and deleted_at is null order by seq desc limit ?`;
  const pageColumns = `${MESSAGE_COLUMNS.replace(/(\w+)/g, 'p.$1')}, p.reactions`;
  return `select c.type as chat_type, mb.role as member_role, mb.status as member_status, ${pageColumns}
            from chats c
            left join chat_members mb on mb.chat_id = c.id and mb.user_id = ?
            left join lateral (${page}) p on true
           where c.id = ?`;
}

/** The history statements, built once. */
export const HISTORY_PAGE: Readonly<Record<HistoryDirection, string>> = {
  newest: historyPage('newest'),
  before: historyPage('before'),
  after: historyPage('after'),
};

/**
 * Whether a visible message lies on the far side of a cursor, the cursor itself included:
 * `previous` is anything at or before an `after_id`, `next` anything at or after a `before_id`.
 */
const BEYOND_CURSOR = {
  previous: `select exists (select 1 from messages where chat_id = ? and deleted_at is null
               and seq <= (select seq from messages where chat_id = ? and id = ?)) as beyond`,
  next: `select exists (select 1 from messages where chat_id = ? and deleted_at is null
           and seq >= (select seq from messages where chat_id = ? and id = ?)) as beyond`,
} as const;

/**
 * `messages` as the api reads it. The api never writes messages: edits, deletes and reactions
 * are published on the chat's stream and the persister applies them.
 */
export class MessageRepository {
  constructor(private readonly em: EntityManager) {}

  /** One not-deleted message of the chat. */
  async live(chatId: string, messageId: string): Promise<MessageRowLike | undefined> {
    const rows = await this.em.execute<MessageRowLike[]>(
      `select ${MESSAGE_COLUMNS} from messages where chat_id = ? and id = ? and deleted_at is null`,
      [chatId, messageId],
    );
    return rows[0];
  }

  /** Whether the message is stored in the chat, deleted or not. */
  async exists(chatId: string, messageId: string): Promise<boolean> {
    const rows = await this.em.execute<unknown[]>('select seq from messages where chat_id = ? and id = ?', [chatId, messageId]);
    return rows.length > 0;
  }

  /** A history page (HISTORY_PAGE) with one row more than `limit` when there is more. */
  async historyPage(direction: HistoryDirection, callerId: string, chatId: string, limit: number, cursor?: string): Promise<HistoryRow[]> {
    const params = cursor === undefined ? [callerId, chatId, limit + 1, chatId] : [callerId, chatId, chatId, cursor, limit + 1, chatId];
    return this.em.execute<HistoryRow[]>(HISTORY_PAGE[direction], params);
  }

  async anyBeyond(side: keyof typeof BEYOND_CURSOR, chatId: string, cursor: string): Promise<boolean> {
    const rows = await this.em.execute<Array<{ beyond: boolean }>>(BEYOND_CURSOR[side], [chatId, chatId, cursor]);
    return rows[0]?.beyond === true;
  }
}
