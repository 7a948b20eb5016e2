import type { EntityManager } from '@mikro-orm/postgresql';
import { NeonError, type Message } from '@neonchat/common';
import { toIso } from './timestamps.js';

export interface HistoryPage {
  readonly messages: Message[];
  readonly has_previous: boolean;
  readonly has_next: boolean;
}

interface MessageSql {
  id: string;
  chat_id: string;
  sender_id: string;
  text: string;
  seq: string;
  created_at: Date | string;
  updated_at: Date | string | null;
}

const COLUMNS = 'id, chat_id, sender_id, text, seq, created_at, updated_at';

function toMessage(row: MessageSql): Message {
  return {
    id: row.id,
    chat_id: row.chat_id,
    sender_id: row.sender_id,
    text: row.text,
    seq: Number(row.seq),
    created_at: toIso(row.created_at),
    updated_at: row.updated_at ? toIso(row.updated_at) : null,
  };
}

async function seqOf(em: EntityManager, chatId: string, messageId: string, field: string): Promise<string> {
  const rows = await em
    .getConnection()
    .execute<Array<{ seq: string }>>('select seq from messages where chat_id = ? and id = ?', [chatId, messageId]);
  const seq = rows[0]?.seq;
  if (seq === undefined) throw new NeonError('not_found', `${field}: no such message in this chat`, { details: { field } });
  return seq;
}

/**
 * One page of a chat's history, oldest first, by keyset on (chat_id, seq): the newest page,
 * the page before `before_id`, or the page after `after_id`. One row more than asked tells
 * whether there is more in the walking direction; no OFFSET, so pages neither skip nor repeat
 * while new messages arrive. Deleted messages are left out.
 */
export async function readHistory(
  em: EntityManager,
  chatId: string,
  options: { limit: number; beforeId?: string | undefined; afterId?: string | undefined },
): Promise<HistoryPage> {
  const { limit } = options;
  const conn = em.getConnection();
  if (options.afterId) {
    const after = await seqOf(em, chatId, options.afterId, 'after_id');
    const rows = await conn.execute<MessageSql[]>(
      `select ${COLUMNS} from messages where chat_id = ? and seq > ? and deleted_at is null order by seq asc limit ?`,
      [chatId, after, limit + 1],
    );
    const page = rows.slice(0, limit);
    return { messages: page.map(toMessage), has_previous: true, has_next: rows.length > limit };
  }
  const before = options.beforeId ? await seqOf(em, chatId, options.beforeId, 'before_id') : undefined;
  const rows = await conn.execute<MessageSql[]>(
    before === undefined
      ? `select ${COLUMNS} from messages where chat_id = ? and deleted_at is null order by seq desc limit ?`
      : `select ${COLUMNS} from messages where chat_id = ? and seq < ? and deleted_at is null order by seq desc limit ?`,
    before === undefined ? [chatId, limit + 1] : [chatId, before, limit + 1],
  );
  const page = rows.slice(0, limit).reverse();
  return { messages: page.map(toMessage), has_previous: rows.length > limit, has_next: before !== undefined };
}
