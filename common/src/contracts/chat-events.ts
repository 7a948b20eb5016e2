import Type, { type Static } from 'typebox';
import { Emoji, MESSAGE_TEXT_MAX, MemberRole, MemberStatus, MessageParts, ChatType, Timestamp, Uuid } from './model.js';
import type { ServerFrame } from './frames.js';
import { messageFromCreatedEvent } from './message-mapping.js';
import { compileValidator } from './validation.js';
import { decodeJson, unhandled } from './json.js';

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
  /** Empty only when the message has attachments. */
  text: Type.String({ maxLength: MESSAGE_TEXT_MAX }),
  created_at: Timestamp,
  /** Optional parts (reply, attachments, mentions, forward), each filled by its feature. */
  ...MessageParts,
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

/**
 * A member added (`reaction.added`) or took back (`reaction.removed`) an emoji on a message.
 * Per (message, user, emoji) the last event in stream order wins, so replays change nothing.
 */
export const ReactionAddedEvent = Type.Object({
  type: Type.Literal('reaction.added'),
  chat_id: Uuid,
  message_id: Uuid,
  user_id: Uuid,
  emoji: Emoji,
  at: Timestamp,
});
export type ReactionAddedEvent = Static<typeof ReactionAddedEvent>;

export const ReactionRemovedEvent = Type.Object({
  type: Type.Literal('reaction.removed'),
  chat_id: Uuid,
  message_id: Uuid,
  user_id: Uuid,
  emoji: Emoji,
  at: Timestamp,
});
export type ReactionRemovedEvent = Static<typeof ReactionRemovedEvent>;
export type ReactionEvent = ReactionAddedEvent | ReactionRemovedEvent;

export const ChatEvent = Type.Union([
  MessageCreatedEvent,
  MessageUpdatedEvent,
  MessageDeletedEvent,
  ChatReadEvent,
  ReactionAddedEvent,
  ReactionRemovedEvent,
]);
export type ChatEvent = Static<typeof ChatEvent>;
export type ChatEventType = ChatEvent['type'];
export const chatEventValidator = compileValidator(ChatEvent);

/**
 * `Nats-Msg-Id` of a client's reaction request: a resend with the same request_id is stored
 * once. Its own namespace, so a request_id a client also used for a message is no duplicate.
 */
export function reactionDedupId(chatId: string, userId: string, requestId: string): string {
  return `reaction:${chatId}:${userId}:${requestId}`;
}

/** A stream payload as a chat event, or undefined when it is not JSON or not one. */
export function decodeChatEvent(data: Uint8Array): ChatEvent | undefined {
  const value = decodeJson(data);
  return chatEventValidator.check(value) ? value : undefined;
}

/**
 * The client frame for a stored chat event at stream position `seq`: what gateways fan out
 * live and replay on resume. Serialized once per gateway for every socket of the chat.
 */
export function frameForChatEvent(event: ChatEvent, seq: number): ServerFrame {
  switch (event.type) {
    case 'message.created':
      return { type: 'new_message', message: messageFromCreatedEvent(event, seq) };
    case 'message.updated':
      return { type: 'message_updated', chat_id: event.chat_id, message_id: event.id, text: event.text, updated_at: event.updated_at, seq };
    case 'message.deleted':
      return { type: 'message_deleted', chat_id: event.chat_id, message_id: event.id, seq, deleted_at: event.deleted_at };
    case 'chat.read':
      return { type: 'read', chat_id: event.chat_id, user_id: event.user_id, message_id: event.message_id, seq: event.seq };
    case 'reaction.added':
    case 'reaction.removed':
      return {
        type: 'reaction',
        op: event.type === 'reaction.added' ? 'add' : 'remove',
        chat_id: event.chat_id,
        message_id: event.message_id,
        user_id: event.user_id,
        emoji: event.emoji,
        seq,
        at: event.at,
      };
    default:
      return unhandled(event, 'chat event');
  }
}

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
