import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { NeonError, type MembershipChangedEvent } from '@neonchat/common/contracts';
import { chatDetailsSchema, createChatSchema, listChatsSchema, renameChatSchema } from '../schemas/chats.js';
import { findOrCreateDirectChat } from '../domain/direct-chats.js';
import { createGroupChat, loadChatDetails, renameChat } from '../domain/group-chats.js';
import { listChats } from '../domain/chat-list.js';
import type { MembershipAnnouncer } from '../domain/membership-announcer.js';
import type { PresenceLookup } from '../domain/presence-lookup.js';

export interface ChatRouteDeps {
  readonly announcer: MembershipAnnouncer;
  readonly presence: PresenceLookup;
}

function missing(field: string, why: string): NeonError {
  return new NeonError('validation_failed', `${field}: ${why}`, { details: { field } });
}

export async function chatRoutes(fastify: FastifyInstance, deps: ChatRouteDeps): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/chats', { schema: createChatSchema }, async (request, reply) => {
    const body = request.body;
    const callerId = request.auth.user_id;
    if (body.type === 'group' || body.type === 'channel') {
      if (body.partner_id !== undefined) throw missing('partner_id', `not allowed for a ${body.type}`);
      if (body.name === undefined) throw missing('name', `is required for a ${body.type}`);
      const { chat, announcements } = await createGroupChat(request.repos, callerId, {
        type: body.type,
        name: body.name,
        memberIds: body.member_ids ?? [],
      });
      deps.announcer.announce(announcements);
      return reply.status(201).send(chat);
    }
    if (body.partner_id === undefined) throw missing('partner_id', 'is required for a direct chat');
    if (body.name !== undefined) throw missing('name', 'not allowed for a direct chat');
    if (body.member_ids !== undefined) throw missing('member_ids', 'not allowed for a direct chat');
    const chat = await findOrCreateDirectChat(request.repos, callerId, body.partner_id);
    if (chat.created) {
      const at = chat.createdAt.toISOString();
      deps.announcer.announce(
        [callerId, chat.partner.id].map((user_id): MembershipChangedEvent => ({
          type: 'membership.changed',
          chat_id: chat.id,
          chat_type: 'direct',
          user_id,
          role: 'member',
          status: 'active',
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
