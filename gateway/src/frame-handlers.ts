import { headers as natsHeaders } from '@nats-io/nats-core';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import {
  NeonError,
  ORIGIN_CONNECTION_HEADER,
  STREAMS,
  SUBJECTS,
  chatEventValidator,
  injectTraceContext,
  inSpan,
  SpanKind,
  sendDedupId,
  uuidv7,
  type ClientFrameOf,
  type ClientFrameType,
  type MessageCreatedEvent,
} from '@neonchat/common';
import type { CatchUp } from './catch-up.js';
import type { ChatAccess } from './chat-access.js';
import type { GatewayMetrics } from './metrics.js';
import type { Outbound } from './outbound.js';
import type { PresenceReporter } from './presence-reporter.js';
import type { Socket, SocketRegistry } from './socket-registry.js';
import type { TypingTracker } from './typing-tracker.js';

export interface FrameHandlerDeps {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly access: ChatAccess;
  readonly catchUp: CatchUp;
  readonly typing: TypingTracker;
  readonly presence: PresenceReporter;
  readonly registry: SocketRegistry;
  readonly outbound: Outbound;
  readonly metrics: GatewayMetrics;
  readonly publishTimeoutMs: number;
}

export type FrameHandlers = { [K in ClientFrameType]: (ws: Socket, frame: ClientFrameOf<K>) => void | Promise<void> };

const decoder = new TextDecoder();

/** One handler per client frame type; the router validates before calling them. */
export function createFrameHandlers(deps: FrameHandlerDeps): FrameHandlers {
  const { outbound } = deps;
  return {
    async message(ws, frame) {
      const state = ws.getUserData();
      await deps.access.require(ws, frame.chat_id, 'post');
      // Sending ends typing at once, on every socket of the user here.
      for (const mine of deps.registry.ofUser(state.userId)) deps.typing.stop(mine.getUserData().connectionId, frame.chat_id);
      const event: MessageCreatedEvent = {
        type: 'message.created',
        id: uuidv7(),
        chat_id: frame.chat_id,
        sender_id: state.userId,
        text: frame.text.trim(),
        created_at: new Date().toISOString(),
      };
      const subject = SUBJECTS.chatEvents(frame.chat_id);
      const started = process.hrtime.bigint();
      const ack = await inSpan(
        'chat.message publish',
        {
          kind: SpanKind.PRODUCER,
          attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject, 'neonchat.chat_id': frame.chat_id },
        },
        async () => {
          const headers = natsHeaders();
          headers.set(ORIGIN_CONNECTION_HEADER, state.connectionId);
          injectTraceContext(headers);
          try {
            return await deps.js.publish(subject, JSON.stringify(event), {
              msgID: sendDedupId(frame.chat_id, state.userId, frame.request_id),
              headers,
              timeout: deps.publishTimeoutMs,
            });
          } catch (err) {
            throw new NeonError('unavailable', 'message not stored, retry with the same request_id', { cause: err });
          }
        },
      );
      deps.metrics.publishAck.observe(Number(process.hrtime.bigint() - started) / 1e9);
      let stored = event;
      if (ack.duplicate) {
        // A resend of a request already stored: answer with the message stored the first time.
        const original = await deps.jsm.streams.getMessage(STREAMS.chatEvents, { seq: ack.seq });
        const parsed = original ? safeJson(original.data) : undefined;
        if (chatEventValidator.check(parsed) && parsed.type === 'message.created') stored = parsed;
      }
      outbound.frame(ws, {
        type: 'message_sent',
        request_id: frame.request_id,
        status: 'delivered',
        message: {
          id: stored.id,
          chat_id: stored.chat_id,
          sender_id: stored.sender_id,
          text: stored.text,
          seq: ack.seq,
          created_at: stored.created_at,
          updated_at: null,
        },
      });
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

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
}
