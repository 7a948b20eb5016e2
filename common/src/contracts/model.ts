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

/**
 * A chat message as every client sees it. `seq` is the message's position in the chat's
 * JetStream stream: it orders history and is what a client resumes from.
 */
export const Message = Type.Object({
  id: Type.String({ ...Uuid, description: 'Id of the message (UUIDv7)' }),
  chat_id: Type.String({ ...Uuid, description: 'Id of its chat' }),
  sender_id: Type.String({ ...Uuid, description: 'Id of its author' }),
  text: Type.String({ description: 'The text, trimmed (1–4096 characters)', examples: ['hi bob'] }),
  seq: Type.Integer({ minimum: 1, description: "Position in the chat's stream: orders history, and what a client resumes from" }),
  created_at: Timestamp,
  updated_at: Type.Union([Timestamp, Type.Null()], { description: 'Last edit; null if never edited' }),
  /** Present only when the message has reactions (history, open); live ones come as `reaction` frames. */
  reactions: Type.Optional(Type.Array(MessageReaction)),
});
export type Message = Static<typeof Message>;

export const PresenceStatus = Type.Union([Type.Literal('online'), Type.Literal('away'), Type.Literal('offline')]);
export type PresenceStatus = Static<typeof PresenceStatus>;
