import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import Fastify, { type FastifyInstance } from 'fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import { installDataAccess } from '../src/plugins/data-access.js';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory() ? sourceFiles(join(dir, e.name)) : Promise.resolve(e.name.endsWith('.ts') ? [join(dir, e.name)] : []),
    ),
  );
  return nested.flat();
}

/** Files of api/src whose text matches `pattern`, relative to api/src. */
async function filesMatching(pattern: RegExp): Promise<string[]> {
  const hits: string[] = [];
  for (const file of await sourceFiles(SRC)) if (pattern.test(await readFile(file, 'utf8'))) hits.push(relative(SRC, file));
  return hits.sort();
}

describe('api data access', () => {
  describe('installDataAccess', () => {
    let app: FastifyInstance;
    afterEach(async () => app.close());

    it('gives each request of its scope repositories on a fork of its own, and nothing outside the scope', async () => {
      let forks = 0;
      // A stand-in entity manager that answers every statement with the number of its fork.
      const orm = {
        em: {
          fork: () => {
            const n = ++forks;
            return { execute: async () => [{ type: 'group', role: null, status: null, fork: n }] };
          },
        },
      } as unknown as MikroORM;
      app = Fastify();
      await app.register(async (scope) => {
        installDataAccess(scope, orm);
        scope.get('/inside', async (request) => request.repos.chats.access('c', 'u'));
      });
      app.get('/outside', async (request) => ({ repos: (request as { repos?: unknown }).repos ?? null }));

      const first = (await app.inject({ url: '/inside' })).json();
      const second = (await app.inject({ url: '/inside' })).json();
      expect([first.fork, second.fork]).to.deep.equal([1, 2]);
      expect((await app.inject({ url: '/outside' })).json()).to.deep.equal({ repos: null });
      expect(forks).to.equal(2);
    });
  });

  describe('the layout', () => {
    it('keeps every SQL statement in src/repositories', async () => {
      const sqlFiles = await filesMatching(/\.execute\s*[<(]|getConnection\(|getKnex\(/);
      expect(sqlFiles.filter((f) => !f.startsWith('repositories/'))).to.deep.equal([]);
      expect(sqlFiles).to.include.members([
        'repositories/users.ts',
        'repositories/chats.ts',
        'repositories/members.ts',
        'repositories/messages.ts',
      ]);
    });

    it('forks the entity manager in one place and attaches authentication once', async () => {
      expect(await filesMatching(/\.fork\(\)/)).to.deep.equal(['plugins/data-access.ts']);
      expect(await filesMatching(/authenticateWith\(/)).to.deep.equal(['plugins/authenticate.ts', 'routes/authenticated-routes.ts']);
    });
  });
});
