import Type, { type Static } from 'typebox';
import { Uuid } from './canonical.js';

export { Uuid };

/** Shapes shared by REST bodies, WebSocket frames and bus events. */
/** ISO-8601 instant, always UTC (`2026-11-22T10:00:00.000Z`). */
export const Timestamp = Type.String({ format: 'date-time' });

export const MESSAGE_TEXT_MAX = 4096;

export const ChatType = Type.Union([Type.Literal('direct'), Type.Literal('group'), Type.Literal('channel')]);
export type ChatType = Static<typeof ChatType>;

export const MemberRole = Type.Union([Type.Literal('admin'), Type.Literal('member')]);
export type MemberRole = Static<typeof MemberRole>;

export const MemberStatus = Type.Union([Type.Literal('active'), Type.Literal('banned'), Type.Literal('left')]);
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
export const Emoji = Type.String({ minLength: 1, maxLength: EMOJI_MAX, pattern: EMOJI_PATTERN });
export type Emoji = Static<typeof Emoji>;

/** NFC form of a validated emoji: the one spelling stored, deduplicated and fanned out. */
export function canonicalEmoji(emoji: string): string {
  return emoji.normalize('NFC');
}

/** Who reacted to a message with one emoji, in the order they did. */
export const MessageReaction = Type.Object({ emoji: Emoji, user_ids: Type.Array(Uuid) });
export type MessageReaction = Static<typeof MessageReaction>;

/**
 * A chat message as every client sees it. `seq` is the message's position in the chat's
 * JetStream stream: it orders history and is what a client resumes from.
 */
export const Message = Type.Object({
  id: Uuid,
  chat_id: Uuid,
  sender_id: Uuid,
  text: Type.String(),
  seq: Type.Integer({ minimum: 1 }),
  created_at: Timestamp,
  updated_at: Type.Union([Timestamp, Type.Null()]),
  /** Present only when the message has reactions (history, open); live ones come as `reaction` frames. */
  reactions: Type.Optional(Type.Array(MessageReaction)),
});
export type Message = Static<typeof Message>;

export const PresenceStatus = Type.Union([Type.Literal('online'), Type.Literal('away'), Type.Literal('offline')]);
export type PresenceStatus = Static<typeof PresenceStatus>;
