import Type, { type Static } from 'typebox';
import { MESSAGE_TEXT_MAX, MemberRole, MemberStatus, ChatType, Timestamp, Uuid } from './model.js';
import { compileValidator } from './validation.js';

/**
 * Events stored in the CHAT_EVENTS stream on `chat.{chatId}.events`. Their order in the
 * stream is the chat's order: the persister applies them in it and gateways fan them out in
 * it. The stream sequence is not in the payload (it is not known at publish time): consumers
 * read it from the JetStream metadata or the republished `Nats-Sequence` header.
 */
export const MessageCreatedEvent = Type.Object({
  type: Type.Literal('message.created'),
  id: Uuid,
  chat_id: Uuid,
  sender_id: Uuid,
  text: Type.String({ minLength: 1, maxLength: MESSAGE_TEXT_MAX }),
  created_at: Timestamp,
});
export type MessageCreatedEvent = Static<typeof MessageCreatedEvent>;

export const MessageUpdatedEvent = Type.Object({
  type: Type.Literal('message.updated'),
  id: Uuid,
  chat_id: Uuid,
  editor_id: Uuid,
  text: Type.String({ minLength: 1, maxLength: MESSAGE_TEXT_MAX }),
  updated_at: Timestamp,
});
export type MessageUpdatedEvent = Static<typeof MessageUpdatedEvent>;

export const MessageDeletedEvent = Type.Object({
  type: Type.Literal('message.deleted'),
  id: Uuid,
  chat_id: Uuid,
  deleted_by: Uuid,
  deleted_at: Timestamp,
});
export type MessageDeletedEvent = Static<typeof MessageDeletedEvent>;

/** A member's read mark moved forward to `seq` (the message `message_id`). */
export const ChatReadEvent = Type.Object({
  type: Type.Literal('chat.read'),
  chat_id: Uuid,
  user_id: Uuid,
  message_id: Uuid,
  seq: Type.Integer({ minimum: 1 }),
  read_at: Timestamp,
});
export type ChatReadEvent = Static<typeof ChatReadEvent>;

export const ChatEvent = Type.Union([MessageCreatedEvent, MessageUpdatedEvent, MessageDeletedEvent, ChatReadEvent]);
export type ChatEvent = Static<typeof ChatEvent>;
export type ChatEventType = ChatEvent['type'];
export const chatEventValidator = compileValidator(ChatEvent);

/**
 * Announced by the api on `membership.{chatId}` (core NATS) after the change is committed, so
 * gateways subscribe or unsubscribe open sockets at once. One event per (chat, user) change;
 * a new chat announces each of its members. `status: 'left'` means the user is no longer a
 * member (left or removed).
 */
export const MembershipChangedEvent = Type.Object({
  type: Type.Literal('membership.changed'),
  chat_id: Uuid,
  chat_type: ChatType,
  user_id: Uuid,
  role: MemberRole,
  status: MemberStatus,
  at: Timestamp,
});
export type MembershipChangedEvent = Static<typeof MembershipChangedEvent>;
export const membershipChangedValidator = compileValidator(MembershipChangedEvent);
