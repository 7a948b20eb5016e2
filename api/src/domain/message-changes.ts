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
import { requireChatAction } from './chat-access.js';
import type { ChatEventPublisher } from '@neonchat/common/runtime';
import type { Repositories } from '../repositories/mod.js';

/**
 * A message as the persister stored it. One the persister has not written yet is unknown
 * here (404): authorship can only be checked against a stored message.
 */
async function storedMessage(repos: Repositories, chatId: string, messageId: string, field = 'message_id'): Promise<MessageRowLike> {
  const row = await repos.messages.live(chatId, messageId);
  if (!row) throw new NeonError('not_found', 'message not found', { details: { field } });
  return row;
}

/** The author edits; the edit is durable once the stream acks it, and applied by the persister. */
export async function editMessage(
  repos: Repositories,
  publisher: ChatEventPublisher,
  input: { chatId: string; messageId: string; callerId: string; text: string },
): Promise<Message> {
  await requireChatAction(repos, input.chatId, input.callerId, 'edit_own_message');
  const message = await storedMessage(repos, input.chatId, input.messageId);
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
  repos: Repositories,
  publisher: ChatEventPublisher,
  input: { chatId: string; messageId: string; callerId: string },
): Promise<void> {
  const access = await requireChatAction(repos, input.chatId, input.callerId, 'read');
  const message = await storedMessage(repos, input.chatId, input.messageId);
  await requireChatAction(
    repos,
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

/**
 * The message a read mark points at: from PostgreSQL, or, for one the stream acked and the
 * persister has not written yet, from the stream itself at the `seq` the client saw it with.
 * The stream is where an acked message is durable, so anything a client was shown can be marked
 * read at once; the stored event must be that message of that chat, so a made-up seq finds
 * nothing (404). The `chat.read` event this publishes lands after the message in the chat's
 * stream, so the persister always writes the message before it moves the mark (GREATEST: never
 * back). No pending state to reconcile, no second table. (Why not a pending mark the persister
 * applies later: it would be a second writer of the same fact, and the unread count would be
 * wrong until then.)
 */
async function readTarget(
  repos: Repositories,
  publisher: ChatEventPublisher,
  chatId: string,
  messageId: string,
  seq: number | undefined,
): Promise<{ id: string; seq: string | number }> {
  const row = await repos.messages.live(chatId, messageId);
  if (row) return row;
  if (seq !== undefined) {
    let event;
    try {
      event = await publisher.stored(seq);
    } catch (err) {
      // A seq the stream does not hold is no error (getMessage answers null): this is an outage.
      throw new NeonError('unavailable', 'the chat stream could not be read, retry', { cause: err });
    }
    if (event?.type === 'message.created' && event.chat_id === chatId && event.id === messageId) return { id: event.id, seq };
  }
  throw new NeonError('not_found', 'message not found', { details: { field: 'message_id' } });
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
  repos: Repositories,
  publisher: ChatEventPublisher,
  input: { chatId: string; messageId: string; callerId: string; seq?: number | undefined },
): Promise<ReadMark> {
  await requireChatAction(repos, input.chatId, input.callerId, 'mark_read');
  const message = await readTarget(repos, publisher, input.chatId, input.messageId, input.seq);
  const row = await repos.members.moveReadMark(input.chatId, input.callerId, message.seq);
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
  repos: Repositories,
  publisher: ChatEventPublisher,
  input: { chatId: string; messageId: string; callerId: string; emoji: string; op: 'add' | 'remove' },
): Promise<ReactionChange> {
  const access = await requireChatAction(repos, input.chatId, input.callerId, 'react');
  // As on the socket: someone blocked by the other member of a 1:1 chat does not react there.
  if (access.chatType === 'direct' && (await repos.blocks.blockedInDirectChat(input.chatId, input.callerId)))
    throw new NeonError('forbidden', 'you cannot write to this user', { details: { field: 'chat_id' } });
  const message = await storedMessage(repos, input.chatId, input.messageId);
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
