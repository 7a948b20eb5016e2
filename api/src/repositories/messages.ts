import type { EntityManager } from '@mikro-orm/postgresql';
import type {
  AttachmentRef,
  ChatType,
  ForwardOrigin,
  MemberRole,
  MemberStatus,
  MessageReaction,
  MessageRowLike,
  ReplyPreview,
} from '@neonchat/common/contracts';
import { uuidArray } from './sql-arrays.js';
import { MESSAGE_COLUMNS, MESSAGE_PARTS_NAMES, MESSAGE_WITH_REACTIONS_COLUMNS } from '@neonchat/common/queries';

export type HistoryDirection = 'newest' | 'before' | 'after' | 'around';

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
  readonly mentions: string[] | null;
  readonly forwarded_from: ForwardOrigin | null;
  readonly reply_to: ReplyPreview | null;
  readonly reply_count: string | null;
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
  const cols = MESSAGE_WITH_REACTIONS_COLUMNS;
  // Around a seq: the messages before it (newest first) and from it on (oldest first), each one
  // more than its half so both flags come from the data.
  const around = `(select ${cols} from messages where chat_id = ? and seq < ? and deleted_at is null order by seq desc limit ?)
     union all (select ${cols} from messages where chat_id = ? and seq >= ? and deleted_at is null order by seq asc limit ?)`;
  const page =
    direction === 'around'
      ? around
      : direction === 'after'
        ? `select ${MESSAGE_WITH_REACTIONS_COLUMNS} from messages where chat_id = ? and seq > ${cursorSeq} and deleted_at is null order by seq asc limit ?`
        : direction === 'before'
          ? `select ${MESSAGE_WITH_REACTIONS_COLUMNS} from messages where chat_id = ? and seq < ${cursorSeq} and deleted_at is null order by seq desc limit ?`
          : `select ${MESSAGE_WITH_REACTIONS_COLUMNS} from messages where chat_id = ? and deleted_at is null order by seq desc limit ?`;
  const pageColumns = `${MESSAGE_COLUMNS.replace(/(\w+)/g, 'p.$1')}, p.reactions, ${MESSAGE_PARTS_NAMES.map((c) => `p.${c}`).join(', ')}`;
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
  around: historyPage('around'),
};

/**
 * Whether a visible message lies on the far side of a cursor, the cursor itself included:
 * `previous` is anything at or before an `after_id`, `next` anything at or after a `before_id`.
 * A scalar subquery with `order by seq limit 1`, not `exists (…)`: PostgreSQL drops the order
 * and limit inside EXISTS and, expecting many matches, plans a sequential scan of `messages`
 * that reads every row of the table up to the first match (measured: 150,000 rows, 20 ms per
 * page at 1 M stored messages, 750 ms p95 at 10 M). This form walks `(chat_id, seq)` to one row.
 */
export const BEYOND_CURSOR = {
  previous: `select (select seq from messages where chat_id = ? and deleted_at is null
               and seq <= (select seq from messages where chat_id = ? and id = ?)
             order by seq desc limit 1) is not null as beyond`,
  next: `select (select seq from messages where chat_id = ? and deleted_at is null
           and seq >= (select seq from messages where chat_id = ? and id = ?)
         order by seq asc limit 1) is not null as beyond`,
} as const;

/** A search hit: where the message is and its highlighted snippet (HTML-escaped text, `<mark>` around matches). */
export interface SearchHitRow {
  readonly id: string;
  readonly chat_id: string;
  readonly seq: string;
  readonly sender_id: string;
  readonly created_at: Date | string;
  readonly updated_at: Date | string | null;
  readonly snippet: string;
}

/** A message to forward, with where it came from itself (a forward of a forward keeps the first origin). */
export interface ForwardSourceRow {
  readonly id: string;
  readonly sender_id: string;
  readonly text: string;
  readonly seq: string;
  readonly created_at: Date | string;
  readonly forwarded_from: ForwardOrigin | null;
  /** The files it shows (`messages.attachments`), null when none. */
  readonly attachments: AttachmentRef[] | null;
}

/** The tsquery of a search: the whole words stemmed, and the last word as a prefix of a stem or of an unstemmed word. Placeholders: words, prefix, prefix. */
const SEARCH_TSQUERY = `(to_tsquery('russian', ?) && (to_tsquery('russian', ?) || to_tsquery('simple', ?)))`;

/**
 * Full-text search over the chats user `?` is an active member of now (left, removed and banned
 * chats are out), deleted messages never, edited ones by their current text, newest first by id
 * (UUIDv7: time-ordered across chats) so the cursor is the last hit's id.
 * - The match is `neonchat_search_vector(text)`, the expression `messages_search_idx` indexes
 *   (migration `…search_case_folding`: the text folded by ICU first, so case is ignored whatever
 *   the cluster's LC_CTYPE).
 * - The tsquery is written out, not a CTE: with bound values the planner folds it to a constant
 *   and estimates it from the index expression's statistics (a CTE's value is unknown at plan
 *   time). So it can choose per query: for a common word, walk the newest messages by id and
 *   test the caller's chats first (the cheap test: the tsvector is computed only for rows of
 *   those chats) until the page is full; for a rare one, the GIN index ANDed with the caller's
 *   chats from `messages_chat_seq_key`. The chats are an array (`= any`), usable by both.
 * - The snippet is made for the page's rows only: `ts_headline` re-parses the text, the costly
 *   part. It marks `neonchat_search_display(text)` (the text, or its folded form where the
 *   cluster's text search cannot fold), HTML-escaped first (the parser keeps `&amp;` whole as an
 *   entity), so the snippet is safe as HTML with only the `<mark>` tags it adds.
 * Placeholders: the tsquery's three (headline), the tsquery's three (match), caller, chat?,
 * chat?, sender?, sender?, before?, before?, limit.
 */
export const SEARCH_MESSAGES = `select h.id, h.chat_id, h.seq, h.sender_id, h.created_at, h.updated_at,
       ts_headline('russian', replace(replace(replace(neonchat_search_display(h.text), '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
                   ${SEARCH_TSQUERY}, 'StartSel=<mark>, StopSel=</mark>, MaxWords=24, MinWords=8') as snippet
  from (select m.id, m.chat_id, m.seq, m.sender_id, m.created_at, m.updated_at, m.text
          from messages m
         where neonchat_search_vector(m.text) @@ ${SEARCH_TSQUERY}
           and m.chat_id = any(array(select cm.chat_id from chat_members cm
                                      where cm.user_id = ? and cm.status = 'active' and (?::uuid is null or cm.chat_id = ?::uuid)))
           and m.deleted_at is null
           and (?::uuid is null or m.sender_id = ?::uuid)
           and (?::uuid is null or m.id < ?::uuid)
         order by m.id desc
         limit ?) h
 order by h.id desc`;

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

  /** The page around stream position `seq`: `before` rows under it and `after` from it on, each plus one. */
  async aroundPage(callerId: string, chatId: string, seq: number, before: number, after: number): Promise<HistoryRow[]> {
    return this.em.execute<HistoryRow[]>(HISTORY_PAGE.around, [callerId, chatId, seq, before + 1, chatId, seq, after + 1, chatId]);
  }

  /** Not-deleted replies to message `messageId` after stream position `afterSeq`, oldest first, `limit + 1` at most. */
  async repliesPage(chatId: string, messageId: string, afterSeq: number, limit: number): Promise<MessageRowLike[]> {
    return this.em.execute<MessageRowLike[]>(
      `select ${MESSAGE_WITH_REACTIONS_COLUMNS} from messages
        where reply_to_id = ? and chat_id = ? and seq > ? and deleted_at is null order by seq asc limit ?`,
      [messageId, chatId, afterSeq, limit + 1],
    );
  }

  /** One page of SEARCH_MESSAGES, `limit + 1` rows at most. */
  async search(
    callerId: string,
    tsquery: { words: string; prefix: string },
    filter: { chatId?: string | undefined; senderId?: string | undefined; beforeId?: string | undefined; limit: number },
  ): Promise<SearchHitRow[]> {
    const chat = filter.chatId ?? null;
    const sender = filter.senderId ?? null;
    const before = filter.beforeId ?? null;
    const q = [tsquery.words, tsquery.prefix, tsquery.prefix];
    return this.em.execute<SearchHitRow[]>(SEARCH_MESSAGES, [
      ...q,
      ...q,
      callerId,
      chat,
      chat,
      sender,
      sender,
      before,
      before,
      filter.limit + 1,
    ]);
  }

  /** The not-deleted messages among `ids` in the chat, in stream order. */
  async forwardSources(chatId: string, ids: readonly string[]): Promise<ForwardSourceRow[]> {
    return this.em.execute<ForwardSourceRow[]>(
      `select id, sender_id, text, seq, created_at, forwarded_from, attachments from messages
        where chat_id = ? and id = any(?::uuid[]) and deleted_at is null order by seq`,
      [chatId, uuidArray(ids)],
    );
  }

  async anyBeyond(side: keyof typeof BEYOND_CURSOR, chatId: string, cursor: string): Promise<boolean> {
    const rows = await this.em.execute<Array<{ beyond: boolean }>>(BEYOND_CURSOR[side], [chatId, chatId, cursor]);
    return rows[0]?.beyond === true;
  }
}
