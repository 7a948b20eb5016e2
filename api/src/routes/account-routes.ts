import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  blockListSchema,
  blockSchema,
  deleteAccountSchema,
  endOtherSessionsSchema,
  endSessionSchema,
  logoutSchema,
  passwordChangeSchema,
  sessionListSchema,
  unblockSchema,
} from '../schemas/sessions.js';
import type { Sessions } from '../domain/sessions.js';
import type { UserBlocks } from '../domain/user-blocks.js';
import { changePassword, deleteAccount, type AccountChangeDeps } from '../domain/account-changes.js';

export interface AccountRouteDeps extends AccountChangeDeps {
  readonly sessions: Sessions;
  readonly blocks: UserBlocks;
}

/**
 * The caller's own account: sessions, password, deletion, blocks. Every id in a path is the
 * caller's to act on (a session of someone else is 404, never theirs to end); ids arrive
 * lower-cased by the schemas.
 */
export async function accountRoutes(fastify: FastifyInstance, deps: AccountRouteDeps): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/auth/logout', { schema: logoutSchema }, async (request, reply) => {
    await deps.sessions.logout(request.repos, request.auth);
    return reply.status(204).send(null);
  });

  app.get('/me/sessions', { schema: sessionListSchema }, async (request) => ({
    sessions: await deps.sessions.list(request.repos, request.auth),
  }));

  app.delete('/me/sessions/:id', { schema: endSessionSchema }, async (request, reply) => {
    await deps.sessions.endOne(request.repos, request.auth.user_id, request.params.id);
    return reply.status(204).send(null);
  });

  app.post('/me/sessions/end-others', { schema: endOtherSessionsSchema }, async (request) => ({
    ended_sessions: await deps.sessions.endAllBut(request.repos, request.auth.user_id, request.auth.sid),
  }));

  app.put('/me/password', { schema: passwordChangeSchema }, async (request) =>
    changePassword(deps, request.repos, request.auth, request.body),
  );

  app.delete('/me', { schema: deleteAccountSchema }, async (request, reply) => {
    await deleteAccount(deps, request.repos, request.auth, request.body.password);
    return reply.status(204).send(null);
  });

  app.get('/me/blocks', { schema: blockListSchema }, async (request) => ({
    users: await deps.blocks.list(request.repos, request.auth.user_id),
  }));

  app.put('/me/blocks/:user_id', { schema: blockSchema }, async (request, reply) => {
    const repos = request.repos;
    await deps.blocks.block(repos, request.auth.user_id, request.params.user_id, (id) => repos.users.exists(id));
    return reply.status(204).send(null);
  });

  app.delete('/me/blocks/:user_id', { schema: unblockSchema }, async (request, reply) => {
    await deps.blocks.unblock(request.repos, request.auth.user_id, request.params.user_id);
    return reply.status(204).send(null);
  });
}
