import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { chatDetailsSchema, createChatSchema, listChatsSchema, renameChatSchema } from '../schemas/chats.js';
import { createChat } from '../domain/chat-creation.js';
import { loadChatDetails, renameChat } from '../domain/group-chats.js';
import { listChats } from '../domain/chat-list.js';
import type { MembershipAnnouncer } from '../domain/membership-announcer.js';
import type { PresenceLookup } from '../domain/presence-lookup.js';

export interface ChatRouteDeps {
  readonly announcer: MembershipAnnouncer;
  readonly presence: PresenceLookup;
}

export async function chatRoutes(fastify: FastifyInstance, deps: ChatRouteDeps): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/chats', { schema: createChatSchema }, async (request, reply) => {
    const { chat, created, announcements } = await createChat(request.repos, request.auth.user_id, request.body);
    deps.announcer.announce(announcements);
    return reply.status(created ? 201 : 200).send(chat);
  });

  app.get('/chats', { schema: listChatsSchema }, async (request) =>
    listChats(request.repos, deps.presence, request.auth.user_id, {
      limit: request.query.limit,
      offset: request.query.offset,
      unreadOnly: request.query.unread_only,
    }),
  );

  app.get('/chats/:chat_id', { schema: chatDetailsSchema }, async (request) =>
    loadChatDetails(request.repos, request.params.chat_id, request.auth.user_id),
  );

  app.patch('/chats/:chat_id', { schema: renameChatSchema }, async (request) =>
    renameChat(request.repos, request.params.chat_id, request.auth.user_id, request.body.name),
  );
}
