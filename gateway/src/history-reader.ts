import type pg from 'pg';
import { messageFromRow, type Message, type MessageRowLike } from '@neonchat/common/contracts';
import { LIVE_MESSAGE, MAX_MESSAGE_SEQ, MESSAGE_SEQ, NEWEST_MESSAGES } from '@neonchat/common/queries';

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
      this.pool.query<MessageRowLike>(NEWEST_MESSAGES, [chatId, limit + 1]),
      this.pool.query<{ max: string | null }>(MAX_MESSAGE_SEQ, [chatId]),
    ]);
    return { newest: rows.rows.map(messageFromRow), maxSeq: Number(max.rows[0]?.max ?? 0) };
  }

  async seqOf(chatId: string, messageId: string): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ seq: string }>(MESSAGE_SEQ, [chatId, messageId]);
    return rows[0] ? Number(rows[0].seq) : undefined;
  }

  /** The message is stored in this chat and not deleted. */
  async isLive(chatId: string, messageId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(LIVE_MESSAGE, [chatId, messageId]);
    return (rowCount ?? 0) > 0;
  }
}
