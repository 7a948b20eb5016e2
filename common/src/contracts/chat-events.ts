import Type, { type Static } from 'typebox';
import { Emoji, MESSAGE_TEXT_MAX, MemberRole, MemberStatus, MessageParts, ChatType, Timestamp, Uuid } from './model.js';
import { compileValidator } from './validation.js';
import { decodeJson } from './json.js';

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
  /** Optional parts (reply, attachments, mentions, forward), each filled by its feature. */
  ...MessageParts,
});
export type MessageCreatedEvent = Static<typeof MessageCreatedEvent>;

/** An edit or a delete names its message by `id`, its chat, who did it and when. */
const ChangeOfMessage = Type.Object({ id: Uuid, chat_id: Uuid });

export const MessageUpdatedEvent = Type.Evaluate(
  Type.Intersect([
    Type.Object({ type: Type.Literal('message.updated') }),
    ChangeOfMessage,
    Type.Pick(MessageCreatedEvent, ['text']),
    Type.Object({ editor_id: Uuid, updated_at: Timestamp }),
  ]),
);
export type MessageUpdatedEvent = Static<typeof MessageUpdatedEvent>;

export const MessageDeletedEvent = Type.Evaluate(
  Type.Intersect([
    Type.Object({ type: Type.Literal('message.deleted') }),
    ChangeOfMessage,
    Type.Object({ deleted_by: Uuid, deleted_at: Timestamp }),
  ]),
);
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

/** What a reaction change says, whichever way it went. */
const ReactionChange = Type.Object({ chat_id: Uuid, message_id: Uuid, user_id: Uuid, emoji: Emoji, at: Timestamp });

/**
 * A member added (`reaction.added`) or took back (`reaction.removed`) an emoji on a message:
 * one schema, the direction in its type. Per (message, user, emoji) the last event in stream
 * order wins, so replays change nothing.
 */
export const ReactionEvent = Type.Evaluate(
  Type.Intersect([Type.Object({ type: Type.Union([Type.Literal('reaction.added'), Type.Literal('reaction.removed')]) }), ReactionChange]),
);
export type ReactionEvent = Static<typeof ReactionEvent>;

/** `ReactionEvent` of one direction (the documents list each event type on its own). */
export const ReactionAddedEvent = Type.Evaluate(Type.Intersect([Type.Object({ type: Type.Literal('reaction.added') }), ReactionChange]));
export type ReactionAddedEvent = Static<typeof ReactionAddedEvent>;
export const ReactionRemovedEvent = Type.Evaluate(
  Type.Intersect([Type.Object({ type: Type.Literal('reaction.removed') }), ReactionChange]),
);
export type ReactionRemovedEvent = Static<typeof ReactionRemovedEvent>;

export const ChatEvent = Type.Union([MessageCreatedEvent, MessageUpdatedEvent, MessageDeletedEvent, ChatReadEvent, ReactionEvent]);
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
