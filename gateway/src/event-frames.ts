import { messageFromCreatedEvent, type ChatEvent, type ServerFrame } from '@neonchat/common';

/**
 * The client frame for a stored chat event, given its stream sequence. Serialized once per
 * gateway and fanned out to every socket of the chat.
 */
export function frameForEvent(event: ChatEvent, seq: number): ServerFrame {
  switch (event.type) {
    case 'message.created':
      return { type: 'new_message', message: messageFromCreatedEvent(event, seq) };
    case 'message.updated':
      return { type: 'message_updated', chat_id: event.chat_id, message_id: event.id, text: event.text, updated_at: event.updated_at, seq };
    case 'message.deleted':
      return { type: 'message_deleted', chat_id: event.chat_id, message_id: event.id, seq, deleted_at: event.deleted_at };
    case 'chat.read':
      return { type: 'read', chat_id: event.chat_id, user_id: event.user_id, message_id: event.message_id, seq: event.seq };
  }
}
