import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  addReactionSchema,
  deleteMessageSchema,
  editMessageSchema,
  forwardSchema,
  repliesSchema,
  historySchema,
  markReadSchema,
  removeReactionSchema,
} from '../schemas/messages.js';
import { readHistory } from '../domain/message-history.js';
import { readReplies } from '../domain/message-replies.js';
import { forwardMessages } from '../domain/message-forwards.js';
import { deleteMessage, editMessage, markRead, react } from '../domain/message-changes.js';
import type { ChatEventPublisher } from '@neonchat/common/runtime';

export interface MessageRouteDeps {
  readonly publisher: ChatEventPublisher;
}

export async function messageRoutes(fastify: FastifyInstance, deps: MessageRouteDeps): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/chats/:chat_id/messages', { schema: historySchema }, async (request) =>
    readHistory(request.repos, request.params.chat_id, request.auth.user_id, {
      limit: request.query.limit,
      beforeId: request.query.before_id,
      afterId: request.query.after_id,
      around: request.query.around,
    }),
  );

  app.get('/chats/:chat_id/messages/:message_id/replies', { schema: repliesSchema }, async (request) =>
    readReplies(request.repos, {
      chatId: request.params.chat_id,
      messageId: request.params.message_id,
      callerId: request.auth.user_id,
      afterSeq: request.query.after_seq,
      limit: request.query.limit,
    }),
  );

  app.post('/chats/:chat_id/forward', { schema: forwardSchema }, async (request) => ({
    messages: await forwardMessages(request.repos, deps.publisher, {
      chatId: request.params.chat_id,
      callerId: request.auth.user_id,
      fromChatId: request.body.from_chat_id,
      messageIds: request.body.message_ids,
      requestId: request.body.request_id,
    }),
  }));

  app.patch('/chats/:chat_id/messages/:message_id', { schema: editMessageSchema }, async (request) =>
    editMessage(request.repos, deps.publisher, {
      chatId: request.params.chat_id,
      messageId: request.params.message_id,
      callerId: request.auth.user_id,
      text: request.body.text.trim(),
    }),
  );

  app.delete('/chats/:chat_id/messages/:message_id', { schema: deleteMessageSchema }, async (request, reply) => {
    await deleteMessage(request.repos, deps.publisher, {
      chatId: request.params.chat_id,
      messageId: request.params.message_id,
      callerId: request.auth.user_id,
    });
    return reply.status(204).send(null);
  });

  app.post('/chats/:chat_id/read', { schema: markReadSchema }, async (request) =>
    markRead(request.repos, deps.publisher, {
      chatId: request.params.chat_id,
      messageId: request.body.message_id,
      callerId: request.auth.user_id,
      seq: request.body.seq,
    }),
  );

  for (const [method, op, schema] of [
    ['PUT', 'add', addReactionSchema],
    ['DELETE', 'remove', removeReactionSchema],
  ] as const) {
    app.route({
      method,
      url: '/chats/:chat_id/messages/:message_id/reactions/:emoji',
      schema,
      handler: async (request) =>
        react(request.repos, deps.publisher, {
          chatId: request.params.chat_id,
          messageId: request.params.message_id,
          callerId: request.auth.user_id,
          emoji: request.params.emoji,
          op,
        }),
    });
  }
}
