import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { MikroORM } from '@mikro-orm/postgresql';
import { meSchema, userSearchSchema } from '../schemas/users.js';
import { loadMe, searchUsers } from '../domain/user-directory.js';
import type { PresenceLookup } from '../domain/presence-lookup.js';

export interface UserRouteDeps {
  readonly orm: MikroORM;
  readonly authenticate: preHandlerHookHandler;
  readonly presence: PresenceLookup;
}

export async function userRoutes(fastify: FastifyInstance, deps: UserRouteDeps): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('preHandler', deps.authenticate);

  app.get('/me', { schema: meSchema }, async (request) => loadMe(deps.orm.em.fork(), request.auth.user_id));

  app.get('/users', { schema: userSearchSchema }, async (request) =>
    searchUsers(deps.orm.em.fork(), deps.presence, request.auth.user_id, {
      query: request.query.query,
      limit: request.query.limit,
      offset: request.query.offset,
    }),
  );
}
