import type { AttachmentRef, ForwardOrigin, Message, MessageReaction, ReplyPreview } from './model.js';
import type { MessageCreatedEvent } from './chat-events.js';

/**
 * A timestamp from PostgreSQL as ISO-8601 UTC. Raw queries through MikroORM return them as
 * strings, `pg` returns Dates: both are accepted.
 */
export function toIsoTimestamp(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/** The columns of a `messages` row that make up the client's Message (seq as bigint text). */
export interface MessageRowLike {
  readonly id: string;
  readonly chat_id: string;
  readonly sender_id: string;
  readonly text: string;
  readonly seq: string | number;
  readonly created_at: Date | string;
  readonly updated_at: Date | string | null;
  /** `reactionsColumn()`: JSON the driver has parsed, null when the message has none. */
  readonly reactions?: MessageReaction[] | null;
  /** `messages.attachments`: JSON the driver has parsed, null when the message has none. */
  readonly attachments?: AttachmentRef[] | null;
  /** `messagePartsColumns()`: null (or absent) when the message has none. */
  readonly mentions?: string[] | null;
  readonly forwarded_from?: ForwardOrigin | null;
  readonly reply_to?: ReplyPreview | null;
  /** bigint count as text from MikroORM/pg; absent when the query did not ask. */
  readonly reply_count?: string | number | null;
}

/** The columns of an `uploads` row that make up an `AttachmentRef`. */
export interface UploadRowLike {
  readonly id: string;
  readonly name: string;
  readonly declared_size: string | number;
  readonly content_type: string | null;
  readonly kind: 'image' | 'file' | null;
  readonly width: number | null;
  readonly height: number | null;
  /** `none`, `pending` (being made), `ready` or `failed`. */
  readonly thumbnail: string;
}

/** A completed upload as a message carries it (the api's completion answer, the gateway's attach). */
export function attachmentRefFromRow(row: UploadRowLike): AttachmentRef {
  const ref: AttachmentRef = {
    id: row.id,
    name: row.name,
    size: Number(row.declared_size),
    content_type: row.content_type ?? 'application/octet-stream',
    kind: row.kind ?? 'file',
    // A thumbnail being made is announced: clients show the image itself until it is there.
    has_thumbnail: row.thumbnail === 'pending' || row.thumbnail === 'ready',
  };
  if (row.width) ref.width = row.width;
  if (row.height) ref.height = row.height;
  return ref;
}

/** A stored message as every client sees it, from REST history or a gateway's history frame. */
export function messageFromRow(row: MessageRowLike): Message {
  const message: Message = {
    id: row.id,
    chat_id: row.chat_id,
    sender_id: row.sender_id,
    text: row.text,
    seq: Number(row.seq),
    created_at: toIsoTimestamp(row.created_at),
    updated_at: row.updated_at ? toIsoTimestamp(row.updated_at) : null,
  };
  if (row.reactions?.length) message.reactions = row.reactions;
  if (row.attachments?.length) message.attachments = row.attachments;
  // Only the parts the message has: one without them stays the same JSON as before.
  if (row.reply_to) message.reply_to = row.reply_to;
  if (row.mentions?.length) message.mentions = row.mentions;
  if (row.forwarded_from) message.forwarded_from = row.forwarded_from;
  if (row.reply_count !== undefined && row.reply_count !== null && Number(row.reply_count) > 0)
    message.reply_count = Number(row.reply_count);
  return message;
}

/**
 * Applies a reaction change to a message's reactions (in stream order, idempotently: adding
 * a user twice or removing one who is not there changes nothing). Returns the new list, the
 * message's own left untouched.
 */
export function withReaction(
  reactions: readonly MessageReaction[] | undefined,
  emoji: string,
  userId: string,
  add: boolean,
): MessageReaction[] {
  const out: MessageReaction[] = [];
  let found = false;
  for (const r of reactions ?? []) {
    if (r.emoji !== emoji) {
      out.push(r);
      continue;
    }
    found = true;
    const others = r.user_ids.filter((u) => u !== userId);
    const user_ids = add ? [...others, userId] : others;
    if (add && others.length < r.user_ids.length) out.push(r);
    else if (user_ids.length) out.push({ emoji, user_ids });
  }
  if (!found && add) out.push({ emoji, user_ids: [userId] });
  return out;
}

/** The message a `message.created` event stored at stream position `seq`. */
export function messageFromCreatedEvent(event: MessageCreatedEvent, seq: number): Message {
  const message: Message = {
    id: event.id,
    chat_id: event.chat_id,
    sender_id: event.sender_id,
    text: event.text,
    seq,
    created_at: event.created_at,
    updated_at: null,
  };
  // Only the parts the event has: a message without them stays the same JSON as before.
  if (event.reply_to !== undefined) message.reply_to = event.reply_to;
  if (event.attachments !== undefined) message.attachments = event.attachments;
  if (event.mentions !== undefined) message.mentions = event.mentions;
  if (event.forwarded_from !== undefined) message.forwarded_from = event.forwarded_from;
  return message;
}
