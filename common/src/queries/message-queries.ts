/**
 * The SQL the gateway reads messages with, and the message columns every service selects,
 * written once. Plain strings with `$n` placeholders for `pg`; the api's own statements
 * (`?` placeholders, MikroORM) live in its repositories and reuse the column lists.
 */

/** The columns of a `messages` row that make up a client's Message (see `messageFromRow`). */
export const MESSAGE_COLUMNS = 'id, chat_id, sender_id, text, seq, created_at, updated_at, attachments';

/**
 * A message's live reactions as JSON `[{emoji, user_ids}]` (null when none), emojis in the
 * order first used, users in the order they reacted. `messageId` is the SQL expression of the
 * message's id in the enclosing query. One primary-key probe per message: cheap enough on a
 * history page; issue-15 style tuning may denormalise it later.
 */
export function reactionsColumn(messageId: string): string {
  return `(select json_agg(json_build_object('emoji', r.emoji, 'user_ids', r.user_ids) order by r.first_seq)
             from (select emoji, array_agg(user_id order by change_seq) as user_ids, min(change_seq) as first_seq
                     from message_reactions where message_id = ${messageId} and active
                    group by emoji) r) as reactions`;
}

/** Columns of a message row with its reactions, from `messages` (aliased or not). */
export const MESSAGE_WITH_REACTIONS_COLUMNS = `${MESSAGE_COLUMNS}, ${reactionsColumn('messages.id')}`;

/** The newest `$2` not-deleted messages of chat `$1`, newest first. */
export const NEWEST_MESSAGES = `select ${MESSAGE_WITH_REACTIONS_COLUMNS} from messages
  where chat_id = $1 and deleted_at is null order by seq desc limit $2`;

/** The highest sequence written for chat `$1` (deleted rows included). */
export const MAX_MESSAGE_SEQ = 'select max(seq) as max from messages where chat_id = $1';

/** The sequence of message `$2` in chat `$1`, deleted or not. */
export const MESSAGE_SEQ = 'select seq from messages where chat_id = $1 and id = $2';

/** One not-deleted message `$2` of chat `$1`. */
export const LIVE_MESSAGE = `select ${MESSAGE_COLUMNS} from messages where chat_id = $1 and id = $2 and deleted_at is null`;
