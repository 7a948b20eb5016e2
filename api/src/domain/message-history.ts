import { messageFromRow, NeonError, requireAllowed, type Message } from '@neonchat/common/contracts';
import { HISTORY_PAGE, type HistoryDirection, type HistoryRow } from '../repositories/messages.js';
import type { Repositories } from '../repositories/mod.js';

export interface HistoryPage {
  readonly messages: Message[];
  readonly has_previous: boolean;
  readonly has_next: boolean;
  readonly others_read_seq: number;
}

type MessageRow = HistoryRow & { id: string };

async function requireMessage(repos: Repositories, chatId: string, messageId: string, field: string): Promise<void> {
  if (!(await repos.messages.exists(chatId, messageId)))
    throw new NeonError('not_found', `${field}: no such message in this chat`, { details: { field } });
}

/**
 * The chat's type and the caller's membership joined with the page itself (HISTORY_PAGE): the
 * rows are fetched before `decide()` has spoken and dropped when it refuses, so nothing of a
 * chat leaves without the permission module's yes.
 */
export function historyStatement(direction: HistoryDirection): string {
  return HISTORY_PAGE[direction];
}

/** The page's messages once `decide()` lets the caller read the chat (the rows carry the membership). */
function allowedRows(rows: HistoryRow[]): MessageRow[] {
  const first = rows[0];
  if (!first) throw new NeonError('not_found', 'chat not found');
  const membership = first.member_role && first.member_status ? { role: first.member_role, status: first.member_status } : null;
  requireAllowed('read', first.chat_type, membership);
  return rows.filter((r): r is MessageRow => r.id !== null);
}

/**
 * The page centred on stream position `seq` (a search hit, a reply's original): half the page
 * before it, the rest from it on, oldest first; each flag says whether a visible message lies
 * beyond its end. A seq past either end of the chat is no error: the page is what is there.
 */
async function readAround(repos: Repositories, chatId: string, callerId: string, limit: number, seq: number): Promise<HistoryPage> {
  const before = Math.floor(limit / 2);
  const after = limit - before;
  const found = allowedRows(await repos.messages.aroundPage(callerId, chatId, seq, before, after));
  const older = found.filter((r) => Number(r.seq) < seq);
  const newer = found.filter((r) => Number(r.seq) >= seq);
  return {
    messages: [...older.slice(0, before).reverse(), ...newer.slice(0, after)].map(messageFromRow),
    has_previous: older.length > before,
    has_next: newer.length > after,
    others_read_seq: await repos.members.othersReadSeq(chatId, callerId),
  };
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
  repos: Repositories,
  chatId: string,
  callerId: string,
  options: { limit: number; beforeId?: string | undefined; afterId?: string | undefined; around?: number | undefined },
): Promise<HistoryPage> {
  const { limit } = options;
  const cursors = [options.afterId, options.beforeId, options.around].filter((c) => c !== undefined).length;
  if (cursors > 1)
    throw new NeonError('validation_failed', 'before_id: give one of before_id, after_id, around', { details: { field: 'before_id' } });
  if (options.around !== undefined) return readAround(repos, chatId, callerId, limit, options.around);
  const direction: HistoryDirection = options.afterId ? 'after' : options.beforeId ? 'before' : 'newest';
  const cursor = options.afterId ?? options.beforeId;
  const rows = await repos.messages.historyPage(direction, callerId, chatId, limit, cursor);
  const found = allowedRows(rows);
  // An empty page after a cursor: nothing further, or a cursor that names no message (404)?
  if (!found.length && cursor !== undefined) await requireMessage(repos, chatId, cursor, direction === 'after' ? 'after_id' : 'before_id');
  const page = found.slice(0, limit);
  const more = found.length > limit;
  // Read marks after a reload: which of the caller's messages the others have read (✓✓).
  const othersReadSeq = await repos.members.othersReadSeq(chatId, callerId);
  if (direction === 'after')
    return {
      messages: page.map(messageFromRow),
      has_previous: await repos.messages.anyBeyond('previous', chatId, cursor as string),
      has_next: more,
      others_read_seq: othersReadSeq,
    };
  const hasNext = direction === 'before' ? await repos.messages.anyBeyond('next', chatId, cursor as string) : false;
  return { messages: page.reverse().map(messageFromRow), has_previous: more, has_next: hasNext, others_read_seq: othersReadSeq };
}
