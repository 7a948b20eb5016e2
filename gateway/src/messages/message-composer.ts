import { isoTimestamp, uuidv7 } from '@neonchat/common/runtime';
import { sendDedupId, type MessageCreatedEvent } from '@neonchat/common/contracts';
import type { AttachmentClaims } from '../attachment-claims.js';
import type { MessageParts } from '../message-parts.js';

/** A validated `message` frame's content, from one sender. */
export interface MessageDraft {
  readonly chatId: string;
  readonly senderId: string;
  /** Already trimmed; may be empty only beside attachments (checked by the caller). */
  readonly text: string;
  readonly requestId: string;
  readonly replyTo?: string | undefined;
  readonly attachments?: readonly string[] | undefined;
}

/** The event to publish and the dedup id it is published under. */
export interface ComposedMessage {
  readonly event: MessageCreatedEvent;
  /** Serialized once: the stream stores these bytes and `message_sent` is spliced from them. */
  readonly json: string;
  readonly dedupId: string;
}

export interface MessageComposerDeps {
  /** Reply previews and mentions (issue 30). */
  readonly parts: Pick<MessageParts, 'replyPreview' | 'mentions'>;
  /** Claims the send's uploads (issue 29). */
  readonly attachments: Pick<AttachmentClaims, 'claim'>;
  /** Throws `unavailable` while the gateway is behind: asked right before the first write. */
  readonly admitPublish: () => void;
  readonly now?: () => number;
}

/**
 * Turns a draft into the `message.created` event the gateway publishes: the reply's preview and
 * the members mentioned are resolved (concurrently, and only when there is a reply or an `@`),
 * then the overload check, then the uploads are claimed (a write, so it comes after the check:
 * a send refused as `unavailable` has claimed nothing). Everything is resolved before the
 * publish, so what is acked is complete. Refusals are NeonErrors naming the field.
 */
export class MessageComposer {
  constructor(private readonly deps: MessageComposerDeps) {}

  async compose(draft: MessageDraft): Promise<ComposedMessage> {
    const { parts } = this.deps;
    const [replyTo, mentions] =
      draft.replyTo === undefined && !draft.text.includes('@')
        ? [undefined, undefined]
        : await Promise.all([
            draft.replyTo === undefined ? undefined : parts.replyPreview(draft.chatId, draft.replyTo),
            parts.mentions(draft.chatId, draft.senderId, draft.text),
          ]);
    const dedupId = sendDedupId(draft.chatId, draft.senderId, draft.requestId);
    this.deps.admitPublish();
    const attachments = draft.attachments ? await this.deps.attachments.claim(draft.senderId, dedupId, draft.attachments) : undefined;
    const now = (this.deps.now ?? Date.now)();
    const event: MessageCreatedEvent = {
      type: 'message.created',
      id: uuidv7(now),
      chat_id: draft.chatId,
      sender_id: draft.senderId,
      text: draft.text,
      created_at: isoTimestamp(now),
      ...(attachments ? { attachments } : {}),
    };
    if (replyTo) event.reply_to = replyTo;
    if (mentions) event.mentions = mentions;
    return { event, json: JSON.stringify(event), dedupId };
  }
}
