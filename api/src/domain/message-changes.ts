import type { EntityManager } from '@mikro-orm/postgresql';
import {
  NeonError,
  canonicalEmoji,
  messageFromRow,
  type ChatReadEvent,
  type Message,
  type MessageDeletedEvent,
  type MessageUpdatedEvent,
  type MessageRowLike,
} from '@neonchat/common/contracts';
import { LIVE_MESSAGE, positional } from '@neonchat/common/queries';
import { requireChatAction } from './chat-access.js';
import type { ChatEventPublisher } from '@neonchat/common/runtime';

/**
 * A message as the persister stored it. One the persister has not written yet is unknown
 * here (404): authorship can only be checked against a stored message.
 */
async function storedMessage(em: EntityManager, chatId: string, messageId: string, field = 'message_id'): Promise<MessageRowLike> {
  const rows = await em.execute<MessageRowLike[]>(positional(LIVE_MESSAGE), [chatId, messageId]);
  const row = rows[0];
  if (!row) throw new NeonError('not_found', 'message not found', { details: { field } });
  return row;
}

/** The author edits; the edit is durable once the stream acks it, and applied by the persister. */
export async function editMessage(
  em: EntityManager,
  publisher: ChatEventPublisher,
  input: { chatId: string; messageId: string; callerId: string; text: string },
): Promise<Message> {
  await requireChatAction(em, input.chatId, input.callerId, 'edit_own_message');
  const message = await storedMessage(em, input.chatId, input.messageId);
  if (message.sender_id !== input.callerId) throw new NeonError('forbidden', 'only the author can edit a message');
  const event: MessageUpdatedEvent = {
    type: 'message.updated',
    id: message.id,
    chat_id: message.chat_id,
    editor_id: input.callerId,
    text: input.text,
    updated_at: new Date().toISOString(),
  };
  await publisher.publish(event);
  return messageFromRow({ ...message, text: event.text, updated_at: event.updated_at });
}

/** The author deletes their own message; an admin deletes anyone's (not in 1:1 chats). */
export async function deleteMessage(
  em: EntityManager,
  publisher: ChatEventPublisher,
  input: { chatId: string; messageId: string; callerId: string },
): Promise<void> {
  const access = await requireChatAction(em, input.chatId, input.callerId, 'read');
  const message = await storedMessage(em, input.chatId, input.messageId);
  await requireChatAction(
    em,
    input.chatId,
    input.callerId,
    message.sender_id === input.callerId ? 'delete_own_message' : 'delete_any_message',
    access,
  );
  const event: MessageDeletedEvent = {
    type: 'message.deleted',
    id: message.id,
    chat_id: message.chat_id,
    deleted_by: input.callerId,
    deleted_at: new Date().toISOString(),
  };
  await publisher.publish(event);
}

export interface ReadMark {
  readonly chat_id: string;
  readonly message_id: string;
  readonly last_read_seq: number;
  readonly unread_count: number;
}

/**
 * Moves the caller's read mark forward (never back: GREATEST, so devices racing each other
 * settle on the furthest), then tells the caller's other devices through the chat's stream.
 */
export async function markRead(
  em: EntityManager,
  publisher: ChatEventPublisher,
  input: { chatId: string; messageId: string; callerId: string },
): Promise<ReadMark> {
  await requireChatAction(em, input.chatId, input.callerId, 'mark_read');
  const message = await storedMessage(em, input.chatId, input.messageId);
  const rows = await em.execute<Array<{ last_read_seq: string; unread_count: string }>>(
    `with moved as (
       update chat_members set last_read_seq = greatest(last_read_seq, ?)
        where chat_id = ? and user_id = ? returning last_read_seq
     )
     select moved.last_read_seq,
            (select count(*) from messages m where m.chat_id = ? and m.seq > moved.last_read_seq
                and m.sender_id <> ? and m.deleted_at is null) as unread_count
       from moved`,
    [message.seq, input.chatId, input.callerId, input.chatId, input.callerId],
  );
  const row = rows[0];
  if (!row) throw new NeonError('not_found', 'chat not found');
  const event: ChatReadEvent = {
    type: 'chat.read',
    chat_id: input.chatId,
    user_id: input.callerId,
    message_id: message.id,
    seq: Number(message.seq),
    read_at: new Date().toISOString(),
  };
  await publisher.publish(event);
  return {
    chat_id: input.chatId,
    message_id: message.id,
    last_read_seq: Number(row.last_read_seq),
    unread_count: Number(row.unread_count),
  };
}

export interface ReactionChange {
  readonly chat_id: string;
  readonly message_id: string;
  readonly user_id: string;
  readonly emoji: string;
  readonly op: 'add' | 'remove';
  readonly seq: number;
  readonly at: string;
}

/**
 * Adds or takes back the caller's emoji on a stored message. Who may: `decide('react')` (any
 * active member, channels included; never a banned one). Durable once the stream acks it;
 * the persister stores it and every member's gateway fans it out as a `reaction` frame.
 * Adding twice or removing what is not there is no error: the state is what was asked for.
 */
export async function react(
  em: EntityManager,
  publisher: ChatEventPublisher,
  input: { chatId: string; messageId: string; callerId: string; emoji: string; op: 'add' | 'remove' },
): Promise<ReactionChange> {
  await requireChatAction(em, input.chatId, input.callerId, 'react');
  const message = await storedMessage(em, input.chatId, input.messageId);
  const at = new Date().toISOString();
  const emoji = canonicalEmoji(input.emoji);
  const ack = await publisher.publish({
    type: input.op === 'add' ? 'reaction.added' : 'reaction.removed',
    chat_id: message.chat_id,
    message_id: message.id,
    user_id: input.callerId,
    emoji,
    at,
  });
  return { chat_id: message.chat_id, message_id: message.id, user_id: input.callerId, emoji, op: input.op, seq: ack.seq, at };
}
