import type { MessageCreatedEvent } from '@neonchat/common/contracts';
import { uuidv7 } from '@neonchat/common/runtime';

/**
 * The `n`th `message.created` event of a micro-benchmark, shaped as the gateway publishes it:
 * a new id, now as `created_at`, and the text `message n` padded with `padding` x's.
 */
export function sampleCreatedEvent(chatId: string, senderId: string, n: number, padding: number): MessageCreatedEvent {
  return {
    type: 'message.created',
    id: uuidv7(),
    chat_id: chatId,
    sender_id: senderId,
    text: `message ${n} ${'x'.repeat(padding)}`,
    created_at: new Date().toISOString(),
  };
}
