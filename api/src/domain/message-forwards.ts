import { uuidv7, type ChatEventPublisher } from '@neonchat/common/runtime';
import {
  NeonError,
  can,
  messageFromCreatedEvent,
  toIsoTimestamp,
  type ForwardOrigin,
  type Message,
  type MessageCreatedEvent,
} from '@neonchat/common/contracts';
import { loadChatAccess, requireChatAction } from './chat-access.js';
import type { Repositories } from '../repositories/mod.js';
import type { ForwardSourceRow } from '../repositories/messages.js';

/** Messages one forward may copy: a selection, not an export. */
export const FORWARD_MESSAGES_MAX = 20;

/** `Nats-Msg-Id` of the n-th copy of a forward request: a resend stores each copy once. */
export function forwardDedupId(chatId: string, userId: string, requestId: string, n: number): string {
  return `forward:${chatId}:${userId}:${requestId}:${n}`;
}

/**
 * Where a copy of `row` (read in `fromChatId`) says it came from: a forward of a forward keeps
 * the first origin. The origin's chat is named only when the forwarder may read it now, so a
 * forward never reveals a chat to the people it is forwarded to through someone who left it.
 */
async function originOf(repos: Repositories, callerId: string, fromChatId: string, row: ForwardSourceRow): Promise<ForwardOrigin> {
  const first = row.forwarded_from;
  if (!first) return { message_id: row.id, sender_id: row.sender_id, chat_id: fromChatId, sent_at: toIsoTimestamp(row.created_at) };
  const { chat_id: firstChat, ...rest } = first;
  if (firstChat === undefined) return rest;
  const access = await loadChatAccess(repos, firstChat, callerId);
  return access && can('read', access.chatType, access.membership) ? { ...rest, chat_id: firstChat } : rest;
}

/**
 * Copies messages the caller can read into a chat the caller can post in, in their stream
 * order, each as a new message of the caller with `forwarded_from` and the original's files.
 * Over REST, not a frame: it reads stored originals (a message not written yet is 404 for the
 * few ms until it is) and answers with several messages; each copy is published on the target
 * chat's stream under its own dedup id, so a retry with the same `request_id` stores nothing
 * twice.
 */
export async function forwardMessages(
  repos: Repositories,
  publisher: ChatEventPublisher,
  input: { chatId: string; callerId: string; fromChatId: string; messageIds: readonly string[]; requestId: string },
): Promise<Message[]> {
  await requireChatAction(repos, input.chatId, input.callerId, 'post');
  await requireChatAction(repos, input.fromChatId, input.callerId, 'read');
  const ids = [...new Set(input.messageIds)];
  const rows = await repos.messages.forwardSources(input.fromChatId, ids);
  if (rows.length !== ids.length)
    throw new NeonError('not_found', 'message_ids: a message is not in from_chat_id (or deleted)', { details: { field: 'message_ids' } });
  const events: MessageCreatedEvent[] = [];
  for (const row of rows) {
    const now = Date.now();
    events.push({
      type: 'message.created',
      id: uuidv7(now),
      chat_id: input.chatId,
      sender_id: input.callerId,
      text: row.text,
      created_at: new Date(now).toISOString(),
      forwarded_from: await originOf(repos, input.callerId, input.fromChatId, row),
      // The same stored files, not copies: the persister gives the copy its own
      // `message_attachments` rows in the target chat, which is what lets that chat's members
      // download them and keeps the sweeper off them while the copy lives (docs/ATTACHMENTS.md).
      ...(row.attachments?.length ? { attachments: row.attachments } : {}),
    });
  }
  const out: Message[] = [];
  for (const [n, event] of events.entries()) {
    const ack = await publisher.publish(event, forwardDedupId(input.chatId, input.callerId, input.requestId, n));
    const stored = ack.duplicate ? await publisher.stored(ack.seq) : event;
    out.push(messageFromCreatedEvent(stored?.type === 'message.created' ? stored : event, ack.seq));
  }
  return out;
}
