import { NeonError, toIsoTimestamp } from '@neonchat/common/contracts';
import type { Repositories } from '../repositories/mod.js';

/** Words of a query, at most: a longer query is no better a search and costs more to match. */
export const SEARCH_WORDS_MAX = 16;
/** Characters of a query, at most (a 400 beyond it, like any bound). */
export const SEARCH_QUERY_MAX = 256;

export interface SearchHit {
  readonly message_id: string;
  readonly chat_id: string;
  readonly seq: number;
  readonly sender_id: string;
  readonly created_at: string;
  readonly updated_at: string | null;
  readonly snippet: string;
}

export interface SearchPage {
  readonly hits: SearchHit[];
  /** The `before` of the next page; absent on the last one. */
  readonly next_before?: string;
}

/**
 * The tsquery texts of what a user typed, built so no input can be tsquery syntax: only runs
 * of letters and digits (`\p{L}\p{N}`) are kept, which contain none of `&|!():*<->'\` or a
 * space. `words`: every word but the last, joined with `&` (stemmed by `to_tsquery('russian')`
 * as the index was: Cyrillic Russian, Latin English; may be empty); `prefix`: the last word as
 * a prefix (`:*`), so results follow the typing. Undefined when nothing searchable is left.
 */
export function tsqueryOf(text: string): { words: string; prefix: string } | undefined {
  const words = text
    .normalize('NFKC')
    .toLowerCase()
    .match(/[\p{L}\p{N}]+/gu);
  if (!words) return undefined;
  const kept = words.slice(0, SEARCH_WORDS_MAX);
  return { words: kept.slice(0, -1).join(' & '), prefix: `${kept.at(-1)!}:*` };
}

/**
 * Messages the caller can read now that match `q`, newest first, `limit` a page, keyset by
 * `before` (the last hit's message id). Access is part of the statement (active membership
 * only), so a chat left, removed or banned from stops matching at once.
 */
export async function searchMessages(
  repos: Repositories,
  callerId: string,
  query: { q: string; chatId?: string | undefined; senderId?: string | undefined; before?: string | undefined; limit: number },
): Promise<SearchPage> {
  const tsquery = tsqueryOf(query.q);
  if (tsquery === undefined) throw new NeonError('validation_failed', 'q: no letters or digits to search for', { details: { field: 'q' } });
  const rows = await repos.messages.search(callerId, tsquery, {
    chatId: query.chatId,
    senderId: query.senderId,
    beforeId: query.before,
    limit: query.limit,
  });
  const hits = rows.slice(0, query.limit).map((r) => ({
    message_id: r.id,
    chat_id: r.chat_id,
    seq: Number(r.seq),
    sender_id: r.sender_id,
    created_at: toIsoTimestamp(r.created_at),
    updated_at: r.updated_at ? toIsoTimestamp(r.updated_at) : null,
    snippet: r.snippet,
  }));
  const last = hits[hits.length - 1];
  return rows.length > query.limit && last ? { hits, next_before: last.message_id } : { hits };
}
