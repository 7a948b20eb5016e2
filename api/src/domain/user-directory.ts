import { NeonError, toIsoTimestamp } from '@neonchat/common/contracts';
import { isOnline, type PresenceLookup } from './presence-lookup.js';
import type { Repositories } from '../repositories/mod.js';

export interface PublicUser {
  readonly id: string;
  readonly username: string;
  readonly online: boolean;
  readonly last_seen: string | null;
}

export interface UserSearchPage {
  readonly users: PublicUser[];
  readonly has_more: boolean;
}

/** `%`, `_` and `\` are LIKE wildcards/escape; `_` is also legal in usernames, so escape all. */
function likePrefix(text: string): string {
  return `${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * People whose username starts with `query` (case-insensitive), in username order (the
 * repository's query is the one the username index serves). Phones and hashes never leave.
 */
export async function searchUsers(
  repos: Repositories,
  presence: PresenceLookup,
  callerId: string,
  options: { query: string; limit: number; offset: number },
): Promise<UserSearchPage> {
  const rows = await repos.users.searchByPrefix(likePrefix(options.query), callerId, options.limit + 1, options.offset);
  const page = rows.slice(0, options.limit);
  const statuses = await presence.statuses(page.map((r) => r.id));
  return {
    users: page.map((r) => ({
      id: r.id,
      username: r.username,
      online: isOnline(statuses.get(r.id)),
      last_seen: r.last_seen_at ? toIsoTimestamp(r.last_seen_at) : null,
    })),
    has_more: rows.length > options.limit,
  };
}

export interface Me {
  readonly id: string;
  readonly username: string;
  readonly phone: string | null;
  readonly created_at: string;
}

export async function loadMe(repos: Repositories, userId: string): Promise<Me> {
  const row = await repos.users.profile(userId);
  // A valid token for a user that no longer exists: the token is what is wrong.
  if (!row) throw new NeonError('unauthorized', 'user no longer exists');
  return { id: row.id, username: row.username, phone: row.phone, created_at: toIsoTimestamp(row.created_at) };
}
