import type { ChatEvent } from './chat-events.js';
import type { ServerFrame } from './frames.js';
import { messageFromCreatedEvent } from './message-mapping.js';
import { unhandled } from './json.js';

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
