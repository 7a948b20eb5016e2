import type pg from 'pg';
import { messageFromRow, type Message, type MessageRowLike } from '@neonchat/common';

export interface PersistedTail {
  /** Newest first, at most `limit + 1` (one more tells whether older ones exist). */
  readonly newest: Message[];
  /** The highest sequence the persister has written for the chat (deleted rows included), 0 if none. */
  readonly maxSeq: number;
}

/** Read-only queries on what the persister wrote: the last messages of a chat, a message's seq. */
export class HistoryReader {
  constructor(private readonly pool: pg.Pool) {}

  async newest(chatId: string, limit: number): Promise<PersistedTail> {
    const [rows, max] = await Promise.all([
      this.pool.query<MessageRowLike>(
        `select id, chat_id, sender_id, text, seq, created_at, updated_at from messages
          where chat_id = $1 and deleted_at is null order by seq desc limit $2`,
        [chatId, limit + 1],
      ),
      this.pool.query<{ max: string | null }>('select max(seq) as max from messages where chat_id = $1', [chatId]),
    ]);
    return { newest: rows.rows.map(messageFromRow), maxSeq: Number(max.rows[0]?.max ?? 0) };
  }

  async seqOf(chatId: string, messageId: string): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ seq: string }>('select seq from messages where chat_id = $1 and id = $2', [chatId, messageId]);
    return rows[0] ? Number(rows[0].seq) : undefined;
  }
}
