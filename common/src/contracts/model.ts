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
});
export type Message = Static<typeof Message>;

export const PresenceStatus = Type.Union([Type.Literal('online'), Type.Literal('away'), Type.Literal('offline')]);
export type PresenceStatus = Static<typeof PresenceStatus>;
