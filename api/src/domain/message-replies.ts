import { messageFromRow, NeonError, type Message } from '@neonchat/common/contracts';
import { requireChatAction } from './chat-access.js';
import type { Repositories } from '../repositories/mod.js';

export interface RepliesPage {
  readonly messages: Message[];
  readonly has_next: boolean;
}

/**
 * The replies to one message, oldest first, keyset on their stream position (`after_seq`: the
 * last reply's seq). Deleted replies are left out; the original may be deleted itself (its
 * replies stay readable). Readers only: non-members 404, banned 403 (`decide()`).
 */
export async function readReplies(
  repos: Repositories,
  input: { chatId: string; messageId: string; callerId: string; afterSeq: number; limit: number },
): Promise<RepliesPage> {
  await requireChatAction(repos, input.chatId, input.callerId, 'read');
  if (!(await repos.messages.exists(input.chatId, input.messageId)))
    throw new NeonError('not_found', 'message_id: no such message in this chat', { details: { field: 'message_id' } });
  const rows = await repos.messages.repliesPage(input.chatId, input.messageId, input.afterSeq, input.limit);
  return { messages: rows.slice(0, input.limit).map(messageFromRow), has_next: rows.length > input.limit };
}
