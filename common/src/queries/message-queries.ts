/**
 * The SQL every service reads messages with, written once. Plain strings, no driver: the
 * gateway runs them on `pg`, the api through MikroORM's connection (`?` placeholders are
 * produced from the same text by `positional`).
 */

/** The columns of a `messages` row that make up a client's Message (see `messageFromRow`). */
export const MESSAGE_COLUMNS = 'id, chat_id, sender_id, text, seq, created_at, updated_at';

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

/** `$n` placeholders as `?`, for drivers (knex under MikroORM) that bind positionally. */
export function positional(sql: string): string {
  return sql.replace(/\$\d+/g, '?');
}

export type HistoryDirection = 'newest' | 'before' | 'after';

/**
 * One keyset page of a chat's history with the chat's type and the caller's membership, in
 * ONE statement (each round trip costs more than the query): `$1` caller, `$2` chat, then for
 * `before`/`after` `$3` chat and `$4` the cursor message id, then the limit, then the chat
 * again. The page walks the `(chat_id, seq)` index; a missing chat gives no row, a chat with
 * nothing on the page one row without a message.
 */
export const HISTORY_PAGE: Readonly<Record<HistoryDirection, string>> = {
  newest: historyPage('newest'),
  before: historyPage('before'),
  after: historyPage('after'),
};

function historyPage(direction: HistoryDirection): string {
  const cursorSeq = '(select seq from messages where chat_id = $3 and id = $4)';
  const page =
    direction === 'after'
      ? `select ${MESSAGE_WITH_REACTIONS_COLUMNS} from messages where chat_id = $2 and seq > ${cursorSeq} and deleted_at is null order by seq asc limit $5`
      : direction === 'before'
        ? `select ${MESSAGE_WITH_REACTIONS_COLUMNS} from messages where chat_id = $2 and seq < ${cursorSeq} and deleted_at is null order by seq desc limit $5`
        : `select ${MESSAGE_WITH_REACTIONS_COLUMNS} from messages where chat_id = $2 and deleted_at is null order by seq desc limit $3`;
  const pageColumns = `${MESSAGE_COLUMNS.replace(/(\w+)/g, 'p.$1')}, p.reactions`;
  const chat = direction === 'newest' ? '$4' : '$6';
  return `select c.type as chat_type, mb.role as member_role, mb.status as member_status, ${pageColumns}
            from chats c
            left join chat_members mb on mb.chat_id = c.id and mb.user_id = $1
            left join lateral (${page}) p on true
           where c.id = ${chat}`;
}
