import type { ChatEventStore } from './bus/chat-bus.js';
import {
  NeonError,
  canonicalEmoji,
  createdMessageJson,
  messageSentFrameJson,
  messageFromCreatedEvent,
  reactionDedupId,
  type ClientFrameOf,
  type ClientFrameType,
} from '@neonchat/common/contracts';
import type { CatchUp } from './catch-up.js';
import type { ChatAccess } from './chat-access.js';
import type { DirectChatBlocks } from './direct-chat-blocks.js';
import type { HistoryReader } from './history-reader.js';
import type { MessageComposer } from './messages/message-composer.js';
import type { GatewayMetrics } from './metrics.js';
import type { Outbound } from './outbound.js';
import type { OverloadGuard } from './overload-guard.js';
import type { PresenceReporter } from './presence-reporter.js';
import type { Socket, SocketRegistry } from './socket-registry.js';
import type { TypingTracker } from './typing-tracker.js';

export interface FrameHandlerDeps {
  /** The bus port's stream writes: resolves once the stream acked. */
  readonly publisher: ChatEventStore;
  readonly access: ChatAccess;
  /** A 1:1 chat whose other member blocked the sender takes no messages or reactions from them. */
  readonly blocks: Pick<DirectChatBlocks, 'requireNotBlocked'>;
  readonly catchUp: CatchUp;
  readonly history: HistoryReader;
  /** A `message` frame's event: reply preview, mentions (issue 30) and claimed uploads (issue 29), resolved before the publish. */
  readonly composer: Pick<MessageComposer, 'compose'>;
  readonly typing: TypingTracker;
  readonly presence: PresenceReporter;
  readonly registry: SocketRegistry;
  readonly outbound: Outbound;
  readonly metrics: GatewayMetrics;
  /** Refuses a publish while the gateway is behind (before it is made). */
  readonly overload: Pick<OverloadGuard, 'admitPublish'>;
}

/** One handler per client frame type: a frame type without one does not compile. */
export type FrameHandlers = { [K in ClientFrameType]: (ws: Socket, frame: ClientFrameOf<K>) => void | Promise<void> };

/** One handler per client frame type; the router validates before calling them. */
export function createFrameHandlers(deps: FrameHandlerDeps): FrameHandlers {
  const { outbound } = deps;
  return {
    async message(ws, frame) {
      const state = ws.getUserData();
      // Text may be empty only beside files: a message says or shows something. Refused before
      // any I/O, like the schema's refusals, so its error comes in the order the frames came.
      const text = frame.text.trim();
      if (!text && !frame.attachments)
        throw new NeonError('validation_failed', 'text: empty without attachments', { details: { field: 'text' } });
      const view = await deps.access.require(ws, frame.chat_id, 'post');
      if (view.type === 'direct') await deps.blocks.requireNotBlocked(frame.chat_id, state.userId, view.peer);
      // Sending ends typing at once, on every socket of the user here.
      for (const mine of deps.registry.ofUser(state.userId)) deps.typing.stop(mine.getUserData().connectionId, frame.chat_id);
      // Reply preview, mentions, the overload check and the uploads' claims, all before the publish.
      const { event, json, dedupId } = await deps.composer.compose({
        chatId: frame.chat_id,
        senderId: state.userId,
        text,
        requestId: frame.request_id,
        replyTo: frame.reply_to,
        attachments: frame.attachments,
      });
      const started = performance.now();
      const ack = await deps.publisher.publish(event, dedupId, state.connectionId, json);
      deps.metrics.publishAck.observe((performance.now() - started) / 1000);
      const message = ack.duplicate ? undefined : createdMessageJson(json, event.chat_id, ack.seq);
      if (message !== undefined) {
        outbound.send(ws, messageSentFrameJson(frame.request_id, message), 'message_sent');
        return;
      }
      let stored = event;
      if (ack.duplicate) {
        // A resend of a request already stored: answer with the message stored the first time.
        const original = await deps.publisher.stored(ack.seq);
        if (original?.type === 'message.created') stored = original;
      }
      outbound.frame(ws, {
        type: 'message_sent',
        request_id: frame.request_id,
        status: 'delivered',
        message: messageFromCreatedEvent(stored, ack.seq),
      });
    },

    async react(ws, frame) {
      const state = ws.getUserData();
      const view = await deps.access.require(ws, frame.chat_id, 'react');
      if (view.type === 'direct') await deps.blocks.requireNotBlocked(frame.chat_id, state.userId, view.peer);
      // Only a stored, not deleted message takes reactions (as for edits over REST): a
      // message the persister has not written yet is `not_found` for the few ms until it has.
      if (!(await deps.history.isLive(frame.chat_id, frame.message_id))) {
        throw new NeonError('not_found', 'message_id: no such message in this chat', { details: { field: 'message_id' } });
      }
      deps.overload.admitPublish();
      const ack = await deps.publisher.publish(
        {
          type: frame.op === 'add' ? 'reaction.added' : 'reaction.removed',
          chat_id: frame.chat_id,
          message_id: frame.message_id,
          user_id: state.userId,
          emoji: canonicalEmoji(frame.emoji),
          at: new Date().toISOString(),
        },
        reactionDedupId(frame.chat_id, state.userId, frame.request_id),
        state.connectionId,
      );
      outbound.frame(ws, { type: 'reaction_saved', request_id: frame.request_id, seq: ack.seq });
    },

    async typing(ws, frame) {
      await deps.access.require(ws, frame.chat_id, 'typing');
      const state = ws.getUserData();
      if (state.closed) return;
      if (frame.is_typing) state.typingIn.add(frame.chat_id);
      else state.typingIn.delete(frame.chat_id);
      deps.typing.set(state.connectionId, state.userId, frame.chat_id, frame.is_typing);
    },

    async open(ws, frame) {
      await deps.access.require(ws, frame.chat_id, 'read');
      await deps.catchUp.open(ws, frame.chat_id, frame.request_id);
    },

    async resume(ws, frame) {
      await deps.access.require(ws, frame.chat_id, 'read');
      await deps.catchUp.resume(ws, frame);
    },

    ping(ws, frame) {
      outbound.frame(ws, { type: 'pong', ...(frame.request_id !== undefined ? { request_id: frame.request_id } : {}) });
    },

    presence(ws, frame) {
      const state = ws.getUserData();
      deps.presence.status(state.connectionId, state.userId, frame.status);
    },
  };
}
