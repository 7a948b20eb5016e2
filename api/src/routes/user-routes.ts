import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { meSchema, userSearchSchema } from '../schemas/users.js';
import { loadMe, searchUsers } from '../domain/user-directory.js';
import type { PresenceLookup } from '../domain/presence-lookup.js';

export interface UserRouteDeps {
  readonly presence: PresenceLookup;
}

export async function userRoutes(fastify: FastifyInstance, deps: UserRouteDeps): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/me', { schema: meSchema }, async (request) => loadMe(request.repos, request.auth.user_id));

  app.get('/users', { schema: userSearchSchema }, async (request) =>
    searchUsers(request.repos, deps.presence, request.auth.user_id, {
      query: request.query.query,
      limit: request.query.limit,
      offset: request.query.offset,
    }),
  );
}
