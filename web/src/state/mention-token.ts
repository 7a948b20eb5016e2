/**
 * `@username` in the composer and in message text, without the DOM. The server resolves a
 * mention with the same rule (`gateway/src/message-parts.ts`): an `@` not glued to a letter,
 * digit, `_`, `.` or another `@`, then 3–50 of `[A-Za-z0-9_.]`.
 */

/** The characters of a username (the api's `Username` pattern). */
const NAME_CHARS = /^[A-Za-z0-9_.]*$/;
const MENTION_IN_TEXT = /(?<![\p{L}\p{N}_.@])@([A-Za-z0-9_.]{3,50})/gu;
const USERNAME_MAX = 50;

export interface MentionQuery {
  /** Index of the `@`. */
  start: number;
  /** What follows it up to the caret (may be empty: the `@` was just typed). */
  query: string;
}

/** The `@name` being typed where the caret is, or null when the caret is not in one. */
export function mentionQueryAt(text: string, caret: number): MentionQuery | null {
  if (caret <= 0 || caret > text.length) return null;
  const at = text.lastIndexOf('@', caret - 1);
  if (at < 0) return null;
  const query = text.slice(at + 1, caret);
  if (query.length > USERNAME_MAX || !NAME_CHARS.test(query)) return null;
  const before = at > 0 ? text.slice(0, at) : '';
  if (before && /[\p{L}\p{N}_.@]$/u.test(before)) return null;
  return { start: at, query };
}

/** `text` with the `@query` at `q` replaced by `@username ` and where the caret goes after it. */
export function insertMention(text: string, q: MentionQuery, username: string): { text: string; caret: number } {
  const end = q.start + 1 + q.query.length;
  const rest = text.slice(end);
  const inserted = `@${username}${rest.startsWith(' ') ? '' : ' '}`;
  return { text: text.slice(0, q.start) + inserted + rest, caret: q.start + inserted.length + (rest.startsWith(' ') ? 1 : 0) };
}

export interface Member {
  user_id: string;
  username: string;
}

/** The members whose name starts with `query` (any case), not `meId`, names that start earlier first, at most `max`. */
export function matchingMembers<M extends Member>(members: readonly M[], query: string, meId: string, max = 8): M[] {
  const q = query.toLowerCase();
  return members
    .filter((m) => m.user_id !== meId && m.username.toLowerCase().startsWith(q))
    .sort((a, b) => a.username.localeCompare(b.username))
    .slice(0, max);
}

export interface TextSegment {
  text: string;
  /** A mention of a member the server resolved (lower-case username), to be drawn as one. */
  mention?: string;
}

/** Splits a message's text into plain runs and the `@name`s that are in `mentioned` (lower-case usernames). */
export function splitMentions(text: string, mentioned: ReadonlySet<string>): TextSegment[] {
  if (!mentioned.size || !text.includes('@')) return [{ text }];
  const segments: TextSegment[] = [];
  let from = 0;
  for (const match of text.matchAll(MENTION_IN_TEXT)) {
    // A name may end in dots that are the sentence's, as the server reads it.
    const name = match[1]!.replace(/\.+$/, '');
    if (!mentioned.has(name.toLowerCase())) continue;
    const start = match.index;
    if (start > from) segments.push({ text: text.slice(from, start) });
    segments.push({ text: `@${name}`, mention: name.toLowerCase() });
    from = start + 1 + name.length;
  }
  if (from < text.length) segments.push({ text: text.slice(from) });
  return segments.length ? segments : [{ text }];
}
