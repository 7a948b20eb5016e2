import type pg from 'pg';
import {
  MESSAGE_MENTIONS_MAX,
  NeonError,
  REPLY_PREVIEW_CHARS,
  decodeChatEvent,
  type Mentions,
  type ReplyPreview,
} from '@neonchat/common/contracts';
import { MAX_MESSAGE_SEQ, MENTIONED_MEMBERS, REPLY_ORIGINAL } from '@neonchat/common/queries';
import type { ChatBus } from './bus/chat-bus.js';
import { ReplyPreviewCache } from './messages/reply-preview-cache.js';

/**
 * Events of a chat the persister may not have written yet that a reply's original is looked
 * for in; beyond it the persister is far behind and the send is refused as `unavailable`.
 */
export const REPLY_TAIL_MAX_EVENTS = 10_000;

/**
 * `@name` where a username may stand (3–50 of `[A-Za-z0-9_.]`, the register schema's), not
 * inside a word or an e-mail address; a trailing dot is the sentence's, not the name's.
 */
const MENTION_RE = /(?<![\p{L}\p{N}_.@])@([A-Za-z0-9_.]{3,50})/gu;

/** The lower-cased usernames `@`-mentioned in a text, each once, at most MESSAGE_MENTIONS_MAX. */
export function mentionedNames(text: string): string[] {
  if (!text.includes('@')) return [];
  const names = new Set<string>();
  for (const match of text.matchAll(MENTION_RE)) {
    const name = match[1]!.replace(/\.+$/, '').toLowerCase();
    if (name.length >= 3) names.add(name);
    if (names.size >= MESSAGE_MENTIONS_MAX) break;
  }
  return [...names];
}

function previewText(text: string): string {
  return text.length <= REPLY_PREVIEW_CHARS ? text : Array.from(text).slice(0, REPLY_PREVIEW_CHARS).join('');
}

/**
 * What the gateway adds to a new message before it is published: the reply's preview and the
 * members its text mentions. Both are resolved before the ack, so what is acked is complete.
 */
export class MessageParts {
  constructor(
    private readonly pool: pg.Pool,
    private readonly bus: Pick<ChatBus, 'readRange'>,
    /** Previews found in the stream tail, so a burst of replies to one fresh message reads it once. */
    private readonly tailPreviews = new ReplyPreviewCache(),
  ) {}

  /**
   * The preview of message `messageId` of chat `chatId`: from PostgreSQL, or, when the original
   * was acked but the persister has not written it yet, from the chat's stream after the
   * highest seq written (the tail only the stream has; edits and deletes in it apply). A
   * message of another chat, or none, is `not_found` naming `reply_to`. A deleted original is
   * answered, marked deleted: the reply still says what it answers. A preview found in the
   * stream is kept a few seconds (`ReplyPreviewCache`): the stream is read only on a miss.
   */
  async replyPreview(chatId: string, messageId: string): Promise<ReplyPreview> {
    const [stored, max] = await Promise.all([
      this.pool.query<ReplyPreview>(REPLY_ORIGINAL, [chatId, messageId]),
      this.pool.query<{ max: string | null }>(MAX_MESSAGE_SEQ, [chatId]),
    ]);
    const row = stored.rows[0];
    if (row)
      return { id: row.id, sender_id: row.sender_id, text: row.text, deleted: row.deleted, attachments_count: row.attachments_count };
    let found: ReplyPreview | undefined;
    const range = { fromSeq: Number(max.rows[0]?.max ?? 0) + 1, maxEvents: REPLY_TAIL_MAX_EVENTS };
    return this.tailPreviews.preview(chatId, messageId, async () => {
      const read = await this.bus.readRange(chatId, range, (_seq, data) => {
        const event = decodeChatEvent(data);
        if (!event) return;
        if (event.type === 'message.created' && event.id === messageId) {
          found = {
            id: event.id,
            sender_id: event.sender_id,
            text: previewText(event.text),
            deleted: false,
            attachments_count: event.attachments?.length ?? 0,
          };
        } else if (found && event.type === 'message.updated' && event.id === messageId) found.text = previewText(event.text);
        else if (found && event.type === 'message.deleted' && event.id === messageId) Object.assign(found, { text: '', deleted: true });
      });
      if (read.tooFar) throw new NeonError('unavailable', 'messages are still being stored, retry shortly (with the same request_id)');
      if (!found) throw new NeonError('not_found', 'reply_to: no such message in this chat', { details: { field: 'reply_to' } });
      return found;
    });
  }

  /** The active members of the chat the text `@`-mentions, the sender left out; undefined when none. */
  async mentions(chatId: string, senderId: string, text: string): Promise<Mentions | undefined> {
    const names = mentionedNames(text);
    if (!names.length) return undefined;
    const { rows } = await this.pool.query<{ id: string }>(MENTIONED_MEMBERS, [chatId, names]);
    const ids = rows.map((r) => r.id).filter((id) => id !== senderId);
    return ids.length ? ids : undefined;
  }
}
