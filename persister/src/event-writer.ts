import type pg from 'pg';
import type { ChatEvent } from '@neonchat/common';

/** A chat event with its stream sequence: the order it is applied in. */
export interface SequencedEvent {
  readonly seq: number;
  readonly event: ChatEvent;
}

/**
 * Applies a batch of chat events to PostgreSQL in one transaction: new messages in one
 * multi-row insert (`unnest`), idempotent on the message id, then edits, deletes and read
 * marks in stream order, then each touched chat's last-message pointer once per batch.
 */
export async function writeBatch(pool: pg.Pool, batch: readonly SequencedEvent[]): Promise<void> {
  const created = batch.filter(
    (b): b is SequencedEvent & { event: Extract<ChatEvent, { type: 'message.created' }> } => b.event.type === 'message.created',
  );
  const client = await pool.connect();
  try {
    await client.query('begin');
    if (created.length) {
      await client.query(
        `insert into messages (id, chat_id, seq, sender_id, text, created_at)
         select * from unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::uuid[], $5::text[], $6::timestamptz[])
         on conflict do nothing`,
        [
          created.map((c) => c.event.id),
          created.map((c) => c.event.chat_id),
          created.map((c) => c.seq),
          created.map((c) => c.event.sender_id),
          created.map((c) => c.event.text),
          created.map((c) => c.event.created_at),
        ],
      );
      await client.query(
        `update chats c set last_message_id = v.id, last_message_seq = v.seq, updated_at = greatest(c.updated_at, v.created_at)
           from (select distinct on (chat_id) chat_id, id, seq, created_at
                   from unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::timestamptz[]) as t(chat_id, id, seq, created_at)
                  order by chat_id, seq desc) v
          where c.id = v.chat_id and (c.last_message_seq is null or c.last_message_seq < v.seq)`,
        [
          created.map((c) => c.event.chat_id),
          created.map((c) => c.event.id),
          created.map((c) => c.seq),
          created.map((c) => c.event.created_at),
        ],
      );
    }
    for (const { event } of batch) {
      switch (event.type) {
        case 'message.updated':
          await client.query('update messages set text = $3, updated_at = $4 where id = $1 and chat_id = $2', [
            event.id,
            event.chat_id,
            event.text,
            event.updated_at,
          ]);
          break;
        case 'message.deleted':
          await client.query('update messages set deleted_at = $3, updated_at = $3 where id = $1 and chat_id = $2 and deleted_at is null', [
            event.id,
            event.chat_id,
            event.deleted_at,
          ]);
          break;
        case 'chat.read':
          await client.query('update chat_members set last_read_seq = greatest(last_read_seq, $3) where chat_id = $1 and user_id = $2', [
            event.chat_id,
            event.user_id,
            event.seq,
          ]);
          break;
        default:
          break;
      }
    }
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
