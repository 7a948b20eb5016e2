import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createChatSchema, historySchema } from '../schemas/chats.js';
import { findOrCreateDirectChat } from '../domain/direct-chats.js';
import { readHistory } from '../domain/message-history.js';
import { requireChatAction } from '../domain/chat-access.js';
import type { MembershipAnnouncer } from '../domain/membership-announcer.js';

export interface ChatRouteDeps {
  readonly orm: MikroORM;
  readonly authenticate: preHandlerHookHandler;
  readonly announcer: MembershipAnnouncer;
}

export async function chatRoutes(fastify: FastifyInstance, deps: ChatRouteDeps): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('preHandler', deps.authenticate);

  app.post('/chats', { schema: createChatSchema }, async (request, reply) => {
    const em = deps.orm.em.fork();
    const chat = await findOrCreateDirectChat(em, request.auth.user_id, request.body.partner_id);
    if (chat.created) {
      const at = chat.createdAt.toISOString();
      deps.announcer.announce(
        [request.auth.user_id, chat.partner.id].map((user_id) => ({
          type: 'membership.changed' as const,
          chat_id: chat.id,
          chat_type: 'direct' as const,
          user_id,
          role: 'member' as const,
          status: 'active' as const,
          at,
        })),
      );
    }
    return reply.status(chat.created ? 201 : 200).send({
      id: chat.id,
      type: 'direct',
      name: null,
      partner: chat.partner,
      created_at: chat.createdAt.toISOString(),
      updated_at: chat.updatedAt.toISOString(),
    });
  });

  app.get('/chats/:chat_id/messages', { schema: historySchema }, async (request) => {
    const em = deps.orm.em.fork();
    await requireChatAction(em, request.params.chat_id, request.auth.user_id, 'read');
    return readHistory(em, request.params.chat_id, {
      limit: request.query.limit,
      beforeId: request.query.before_id,
      afterId: request.query.after_id,
    });
  });
}
