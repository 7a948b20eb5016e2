import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import pg from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import { migrate, openOrm, uuidv7 } from '@neonchat/common';
import { seedChat, seedUser, testEnvironment, withDatabase } from '@neonchat/common/testing';
import { searchMessages } from '../src/domain/message-search.js';
import { Repositories } from '../src/repositories/mod.js';

/**
 * Search ignores case in Russian whatever the cluster's LC_CTYPE: a database made with
 * `lc_ctype 'C'` (an operator's cluster initialised with `--locale=C`, as the test harness's and
 * `make dev`'s were) folds ASCII only in text search, so without the ICU folding of migration
 * `…search_case_folding` "привет" misses "Привет" there. Each database is migrated from empty,
 * as a new install would be.
 */
describe('search folds case in any cluster locale @integration', () => {
  let adminUrl = '';
  let admin: pg.Client;
  const made: string[] = [];

  before(async () => {
    adminUrl = testEnvironment().adminDatabaseUrl;
    admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
  });
  after(async () => {
    for (const name of made) await admin.query(`drop database if exists "${name}" with (force)`);
    await admin?.end();
  });

  for (const ctype of ['C', 'C.UTF-8']) {
    describe(`lc_ctype ${ctype}`, () => {
      let orm: MikroORM;
      let db: pg.Client;
      const texts = ['привет друзья', 'Привет, мир', 'ДРУЗЬЯ ПРИВЕТ', 'СООБЩЕНИЯ пришли', 'Hello WORLD'];
      const ids = texts.map(() => uuidv7());
      let reader = '';

      before(async () => {
        const name = `neonchat_fold_${ctype === 'C' ? 'c' : 'utf8'}_${randomBytes(4).toString('hex')}`;
        await admin.query(`create database "${name}" template template0 encoding 'UTF8' lc_collate 'C' lc_ctype '${ctype}'`);
        made.push(name);
        const url = withDatabase(adminUrl, name);
        orm = await openOrm({ databaseUrl: url, poolMax: 2 });
        await migrate(orm);
        db = new pg.Client({ connectionString: url });
        await db.connect();
        reader = await seedUser(db, { username: `fold_${randomBytes(4).toString('hex')}` });
        const chat = await seedChat(db, { type: 'group', members: [{ userId: reader, role: 'admin' }] });
        await db.query(
          `insert into messages (id, chat_id, seq, sender_id, text, created_at)
           select ($1::uuid[])[i], $2, i, $3, ($4::text[])[i], now() from generate_series(1, $5) as i`,
          [ids, chat, reader, texts, texts.length],
        );
      });
      after(async () => {
        await db?.end();
        await orm?.close(true);
      });

      const search = async (q: string) =>
        searchMessages(new Repositories(orm.em.fork()), reader, { q, limit: 20 }).then((page) => page.hits);

      it('finds привет, Привет and ПРИВЕТ by any of them, stems upper-case Russian, and marks the words', async () => {
        const greetings = [ids[0], ids[1], ids[2]];
        for (const q of ['ПРИВЕТ', 'привет', 'Привет', 'прИВЕт']) {
          expect(
            (await search(q)).map((h) => h.message_id),
            q,
          ).to.have.members(greetings);
        }
        expect((await search('привет ДРУЗ')).map((h) => h.message_id)).to.have.members([ids[0], ids[2]]);
        expect((await search('сообщение')).map((h) => h.message_id)).to.deep.equal([ids[3]]);
        expect((await search('world')).map((h) => h.message_id)).to.deep.equal([ids[4]]);
        const snippet = (await search('привет')).find((h) => h.message_id === ids[1])!.snippet;
        // The text as written where the cluster's text search folds; folded where it cannot.
        expect(snippet).to.equal(ctype === 'C' ? '<mark>привет</mark>, мир' : '<mark>Привет</mark>, мир');
      });

      it('matches through messages_search_idx, the index on the same expression', async () => {
        await db.query('set enable_seqscan = off');
        const plan = await db.query<{ 'QUERY PLAN': string }>(
          `explain select id from messages where neonchat_search_vector(text) @@ to_tsquery('russian', 'привет')`,
        );
        expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).to.include('messages_search_idx');
      });
    });
  }
});
