import Type, { type Static } from 'typebox';
import { Uuid } from './canonical.js';

export { Uuid };

/** Shapes shared by REST bodies, WebSocket frames and bus events. */
/** ISO-8601 instant, always UTC (`2026-11-22T10:00:00.000Z`). */
export const Timestamp = Type.String({ format: 'date-time', description: 'ISO-8601 instant, UTC' });

export const MESSAGE_TEXT_MAX = 4096;

export const ChatType = Type.Union([Type.Literal('direct'), Type.Literal('group'), Type.Literal('channel')], {
  description: '`direct`: two people; `group`: members all post; `channel`: admins post, members read and react',
});
export type ChatType = Static<typeof ChatType>;

export const MemberRole = Type.Union([Type.Literal('admin'), Type.Literal('member')], {
  description: 'Admins manage the chat (members, roles, bans, name)',
});
export type MemberRole = Static<typeof MemberRole>;

export const MemberStatus = Type.Union([Type.Literal('active'), Type.Literal('banned'), Type.Literal('left')], {
  description: '`active`: a member; `banned`: refused until unbanned (unban readmits); `left`: left or removed, may be added back',
});
export type MemberStatus = Static<typeof MemberStatus>;

/**
 * An emoji reaction as clients send it: hostile input like any text. Bounded in code points (a flag or a
 * family sequence with modifiers is well under 32; so is the `varchar(32)` column), no whitespace, no control
 * character (NUL included: PostgreSQL text refuses it), no markup characters. Stored and
 * compared NFC-normalised (`canonicalEmoji`), so one visible emoji is one reaction.
 */
export const EMOJI_MAX = 32;
/**
 * At least one pictographic, flag or keycap code point; nothing blank, control, invisible
 * formatting (bidi overrides) but the zero-width joiner of family sequences, lone surrogate or markup.
 */
export const EMOJI_PATTERN =
  '^(?=.*[\\p{Extended_Pictographic}\\p{Regional_Indicator}\\u20e3])(?:\\u200d|(?!\\p{Cf})[^\\s\\p{Cc}\\p{Cs}<>&"\'\\\\/])+$';
export const Emoji = Type.String({
  minLength: 1,
  maxLength: EMOJI_MAX,
  pattern: EMOJI_PATTERN,
  description: 'One emoji (sequence), stored NFC',
  examples: ['👍'],
});
export type Emoji = Static<typeof Emoji>;

/** NFC form of a validated emoji: the one spelling stored, deduplicated and fanned out. */
export function canonicalEmoji(emoji: string): string {
  return emoji.normalize('NFC');
}

/** Who reacted to a message with one emoji, in the order they did. */
export const MessageReaction = Type.Object({
  emoji: Emoji,
  user_ids: Type.Array(Uuid, { description: 'Who reacted, in the order they did' }),
});
export type MessageReaction = Static<typeof MessageReaction>;

// ── What a message may carry beside its text (replies, forwards, mentions, attachments) ──────
// One contract for the features that fill these fields; every field is optional, so a message
// without them (all of them today) is the same on the wire as before.

/** Files on one message, at most. */
export const MESSAGE_ATTACHMENTS_MAX = 10;
/** Members mentioned in one message, at most. */
export const MESSAGE_MENTIONS_MAX = 50;
/** Code points of the original's text a reply carries (`ReplyPreview.text`). */
export const REPLY_PREVIEW_CHARS = 100;

/**
 * A file name as shown and offered for download: no control character (NUL included), no path
 * separator, so it can never name a directory on a disk or in a `Content-Disposition` header.
 */
const ATTACHMENT_NAME_PATTERN = '^[^\\p{Cc}/\\\\]+$';
/** `type/subtype` in lower case (RFC 6838 restricted names), without parameters. */
const CONTENT_TYPE_PATTERN = '^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$';
const Dimension = (what: string) => Type.Integer({ minimum: 1, maximum: 65535, description: `${what} in pixels (images only)` });

/**
 * A file attached to a message, as stored in its event and shown in every frame. Download URLs
 * are short-lived and fetched over REST by a member: never stored here.
 */
export const AttachmentRef = Type.Object({
  id: Type.String({ ...Uuid, description: 'Id of the upload' }),
  name: Type.String({
    minLength: 1,
    maxLength: 255,
    pattern: ATTACHMENT_NAME_PATTERN,
    description: 'File name, no path',
    examples: ['photo.jpg'],
  }),
  size: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Bytes' }),
  content_type: Type.String({
    maxLength: 127,
    pattern: CONTENT_TYPE_PATTERN,
    description: 'The type sniffed from the bytes, lower case, no parameters',
    examples: ['image/jpeg'],
  }),
  kind: Type.Union([Type.Literal('image'), Type.Literal('file')], { description: '`image`: shown inline; `file`: offered as a download' }),
  width: Type.Optional(Dimension('Width')),
  height: Type.Optional(Dimension('Height')),
  has_thumbnail: Type.Boolean({ description: 'A thumbnail can be fetched over REST' }),
});
export type AttachmentRef = Static<typeof AttachmentRef>;

/** The message a reply answers, as it was when the reply was sent (a snapshot in the event). */
export const ReplyPreview = Type.Object({
  id: Type.String({ ...Uuid, description: 'Id of the original message' }),
  sender_id: Type.String({ ...Uuid, description: 'Id of its author' }),
  text: Type.String({
    maxLength: REPLY_PREVIEW_CHARS,
    description: `Its first ${REPLY_PREVIEW_CHARS} code points; empty when deleted or attachments only`,
  }),
  deleted: Type.Boolean({ description: 'The original is deleted' }),
  attachments_count: Type.Integer({ minimum: 0, maximum: MESSAGE_ATTACHMENTS_MAX, description: 'How many files the original carries' }),
});
export type ReplyPreview = Static<typeof ReplyPreview>;

/** Where a forwarded message came from. */
export const ForwardOrigin = Type.Object({
  message_id: Type.String({ ...Uuid, description: 'Id of the original message' }),
  sender_id: Type.String({ ...Uuid, description: 'Id of its author' }),
  chat_id: Type.Optional(Type.String({ ...Uuid, description: 'Its chat: present only when the forwarder could read it' })),
  sent_at: Timestamp,
});
export type ForwardOrigin = Static<typeof ForwardOrigin>;

/** Members mentioned with `@username` in the text, resolved by the server (non-members are plain text). */
export const Mentions = Type.Array(Uuid, {
  maxItems: MESSAGE_MENTIONS_MAX,
  uniqueItems: true,
  description: 'Ids of the members mentioned with @username, resolved by the server',
});
export type Mentions = Static<typeof Mentions>;

/** A message's attachments, in the order the sender gave them. */
export const Attachments = Type.Array(AttachmentRef, { maxItems: MESSAGE_ATTACHMENTS_MAX });

/**
 * The optional parts of a message, as an event stores them (`MessageCreatedEvent`) and every
 * client sees them (`Message`, where `reply_to` may also be null).
 */
export const MessageParts = {
  reply_to: Type.Optional(ReplyPreview),
  attachments: Type.Optional(Attachments),
  mentions: Type.Optional(Mentions),
  forwarded_from: Type.Optional(ForwardOrigin),
};

/**
 * A chat message as every client sees it. `seq` is the message's position in the chat's
 * JetStream stream: it orders history and is what a client resumes from.
 */
export const Message = Type.Object({
  id: Type.String({ ...Uuid, description: 'Id of the message (UUIDv7)' }),
  chat_id: Type.String({ ...Uuid, description: 'Id of its chat' }),
  sender_id: Type.String({ ...Uuid, description: 'Id of its author' }),
  text: Type.String({
    description: 'The text, trimmed (up to 4096 characters; empty only when the message has attachments)',
    examples: ['hi bob'],
  }),
  seq: Type.Integer({ minimum: 1, description: "Position in the chat's stream: orders history, and what a client resumes from" }),
  created_at: Timestamp,
  updated_at: Type.Union([Timestamp, Type.Null()], { description: 'Last edit; null if never edited' }),
  /** Present only when the message has reactions (history, open); live ones come as `reaction` frames. */
  reactions: Type.Optional(Type.Array(MessageReaction)),
  ...MessageParts,
  reply_to: Type.Optional(
    Type.Union([ReplyPreview, Type.Null()], {
      description: 'The message this one answers, as it was when this one was sent; null or absent when it answers none',
    }),
  ),
  reply_count: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'How many replies answer it' })),
});
export type Message = Static<typeof Message>;

export const PresenceStatus = Type.Union([Type.Literal('online'), Type.Literal('away'), Type.Literal('offline')]);
export type PresenceStatus = Static<typeof PresenceStatus>;
