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

/** How many files message row `o` shows (its `attachments` JSON array; none is 0). */
function attachmentsCount(o: string): string {
  return `case when jsonb_typeof(${o}.attachments) = 'array' then jsonb_array_length(${o}.attachments) else 0 end`;
}

/**
 * A message's reply preview as readers see it now: the original's current text (first
 * REPLY_PREVIEW_CHARS code points, `left()` counts characters) or `deleted`, its author and how
 * many files it carries, counted from the original's row (a send's snapshot may say 0: the
 * gateway did not count them before issue 29's follow-up); the snapshot the reply's event
 * carried (`reply_preview`) stands in while the original row is not written yet. Null when the
 * message answers none.
 */
export function replyPreviewColumn(m: string): string {
  return `case when ${m}.reply_to_id is null then null else coalesce(
      (select jsonb_build_object('id', o.id, 'sender_id', o.sender_id,
                                 'text', case when o.deleted_at is null then left(o.text, 100) else '' end,
                                 'deleted', o.deleted_at is not null,
                                 'attachments_count', ${attachmentsCount('o')})
         from messages o where o.id = ${m}.reply_to_id),
      ${m}.reply_preview) end as reply_to`;
}

/** How many not-deleted replies answer the message (the partial `messages_reply_to_idx`). */
export function replyCountColumn(m: string): string {
  return `(select count(*) from messages r where r.reply_to_id = ${m}.id and r.deleted_at is null) as reply_count`;
}

/** The columns of a message's optional parts (see `messageFromRow`), from `messages` aliased `m`. */
export function messagePartsColumns(m: string): string {
  return `${m}.mentions, ${m}.forwarded_from, ${replyPreviewColumn(m)}, ${replyCountColumn(m)}`;
}

/** The names `messagePartsColumns` gives its columns, for a query that selects them from a subquery. */
export const MESSAGE_PARTS_NAMES = ['mentions', 'forwarded_from', 'reply_to', 'reply_count'] as const;

/** Columns of a message row with its reactions and parts, from `messages` (aliased or not). */
export const MESSAGE_WITH_REACTIONS_COLUMNS = `${MESSAGE_COLUMNS}, ${reactionsColumn('messages.id')}, ${messagePartsColumns('messages')}`;

/** The newest `$2` not-deleted messages of chat `$1`, newest first. */
export const NEWEST_MESSAGES = `select ${MESSAGE_WITH_REACTIONS_COLUMNS} from messages
  where chat_id = $1 and deleted_at is null order by seq desc limit $2`;

/** The highest sequence written for chat `$1` (deleted rows included). */
export const MAX_MESSAGE_SEQ = 'select max(seq) as max from messages where chat_id = $1';

/** The sequence of message `$2` in chat `$1`, deleted or not. */
export const MESSAGE_SEQ = 'select seq from messages where chat_id = $1 and id = $2';

/** One not-deleted message `$2` of chat `$1`. */
export const LIVE_MESSAGE = `select ${MESSAGE_COLUMNS} from messages where chat_id = $1 and id = $2 and deleted_at is null`;

/** Message `$2` of chat `$1` as a reply's preview (`ReplyPreview`), deleted or not. */
export const REPLY_ORIGINAL = `select id, sender_id, case when deleted_at is null then left(text, 100) else '' end as text,
  deleted_at is not null as deleted, ${attachmentsCount('messages')}::int as attachments_count
  from messages where chat_id = $1 and id = $2`;

/** Active members of chat `$1` whose lower-cased username is in `$2` (text[]): who `@name` mentions. */
export const MENTIONED_MEMBERS = `select u.id from chat_members m join users u on u.id = m.user_id
  where m.chat_id = $1 and m.status = 'active' and lower(u.username) = any($2::text[])`;
