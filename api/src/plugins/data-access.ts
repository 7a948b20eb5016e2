import type { FastifyInstance } from 'fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Repositories } from '../repositories/mod.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The api's repositories on this request's own entity manager (set by `installDataAccess`). */
    repos: Repositories;
  }
}

/**
 * Gives every request of `scope` (and its child scopes) its repositories on a fresh fork of
 * the entity manager, once, before any route handler or authentication hook runs: one
 * identity map per request, never shared between requests.
 */
export function installDataAccess(scope: FastifyInstance, orm: MikroORM): void {
  // fastify wants reference-typed decorations to start as null (then set per request).
  scope.decorateRequest('repos', null as unknown as Repositories);
  scope.addHook('preHandler', async (request) => {
    request.repos = new Repositories(orm.em.fork());
  });
}

/**
 * Repositories for work outside any request (the thumbnail queue, the upload sweeper): each call
 * a fresh fork of the entity manager, made here so forks stay in this one file.
 */
export function backgroundRepositories(orm: MikroORM): () => Repositories {
  return () => new Repositories(orm.em.fork());
}
