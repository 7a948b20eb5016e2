import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { searchSchema } from '../schemas/search.js';
import { searchMessages } from '../domain/message-search.js';

export async function searchRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/search/messages', { schema: searchSchema }, async (request) =>
    searchMessages(request.repos, request.auth.user_id, {
      q: request.query.q,
      chatId: request.query.chat_id,
      senderId: request.query.sender_id,
      before: request.query.before,
      limit: request.query.limit,
    }),
  );
}
