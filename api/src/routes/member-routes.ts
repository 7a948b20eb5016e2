import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { addMemberSchema, changeRoleSchema, leaveChatSchema, memberActionSchema } from '../schemas/members.js';
import {
  addMember,
  banMember,
  changeRole,
  leaveChat,
  removeMember,
  unbanMember,
  type MembershipOutcome,
} from '../domain/membership-changes.js';
import type { MembershipAnnouncer } from '../domain/membership-announcer.js';

export interface MemberRouteDeps {
  readonly announcer: MembershipAnnouncer;
}

/** Members, roles and bans. Every decision goes through `decide()`; every committed change is announced. */
export async function memberRoutes(fastify: FastifyInstance, deps: MemberRouteDeps): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const announced = (outcome: MembershipOutcome) => {
    deps.announcer.announce(outcome.announcements);
    return outcome.member;
  };

  app.post('/chats/:chat_id/members', { schema: addMemberSchema }, async (request, reply) => {
    const { user_id, role } = request.body;
    const outcome = await addMember(request.repos, request.params.chat_id, request.auth.user_id, user_id, role ?? 'member');
    return reply.status(outcome.changed ? 201 : 200).send(announced(outcome));
  });

  app.patch('/chats/:chat_id/members/:user_id', { schema: changeRoleSchema }, async (request) =>
    announced(await changeRole(request.repos, request.params.chat_id, request.auth.user_id, request.params.user_id, request.body.role)),
  );

  app.delete('/chats/:chat_id/members/:user_id', { schema: memberActionSchema('remove') }, async (request) =>
    announced(await removeMember(request.repos, request.params.chat_id, request.auth.user_id, request.params.user_id)),
  );

  app.put('/chats/:chat_id/bans/:user_id', { schema: memberActionSchema('ban') }, async (request) =>
    announced(await banMember(request.repos, request.params.chat_id, request.auth.user_id, request.params.user_id)),
  );

  app.delete('/chats/:chat_id/bans/:user_id', { schema: memberActionSchema('unban') }, async (request) =>
    announced(await unbanMember(request.repos, request.params.chat_id, request.auth.user_id, request.params.user_id)),
  );

  app.post('/chats/:chat_id/leave', { schema: leaveChatSchema }, async (request) =>
    announced(await leaveChat(request.repos, request.params.chat_id, request.auth.user_id)),
  );
}
