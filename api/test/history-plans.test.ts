/**
 * The plans of the history statements whose cost must not grow with the chat: each walks the
 * `(chat_id, seq)` index to a bounded number of rows whatever the planner's row estimate. Run on
 * a database of its own (a copy of the migrated template) holding one large chat, analysed.
 */
import { expect } from 'chai';
import type { MikroORM } from '@mikro-orm/postgresql';
import { openOrm } from '@neonchat/common';
import { createDatabase, testEnvironment } from '@neonchat/common/testing';
import { BEYOND_CURSOR } from '../src/repositories/messages.js';

const CHAT = '00000000-0000-7000-9000-0000000000c1';
const USER = '00000000-0000-7000-8000-0000000000c1';
const ROWS = 40_000;

/** The id of message `seq` of the chat (ordered like the rows). */
const messageId = (seq: number) => `00000000-0000-7000-a000-${seq.toString(16).padStart(12, '0')}`;

describe('history statements: plans bounded by the page, not the chat', function () {
  this.timeout(60_000);
  let orm: MikroORM;

  before(async () => {
    const env = testEnvironment();
    const databaseUrl = await createDatabase(env.adminDatabaseUrl, { template: env.templateDatabase });
    orm = await openOrm({ databaseUrl, poolMax: 1 });
    const em = orm.em.fork();
    await em.execute(`insert into users (id, username, password_hash) values (?, 'plans_user', 'x')`, [USER]);
    await em.execute(`insert into chats (id, type, name, created_by) values (?, 'group', 'plans', ?)`, [CHAT, USER]);
    await em.execute(
      `insert into messages (id, chat_id, seq, sender_id, text, created_at)
       select ('00000000-0000-7000-a000-' || lpad(to_hex(s), 12, '0'))::uuid, ?, s, ?, 'message ' || s, now()
         from generate_series(1, ?) as s`,
      [CHAT, USER, ROWS],
    );
    await em.execute('analyze messages');
  });

  after(async () => {
    await orm?.close(true);
  });

  async function plan(sql: string, params: unknown[]): Promise<string> {
    const rows = await orm.em.fork().execute<Array<{ 'QUERY PLAN': unknown }>>(`explain (format json) ${sql}`, params);
    return JSON.stringify(rows[0]!['QUERY PLAN']);
  }

  async function beyond(side: keyof typeof BEYOND_CURSOR, seq: number): Promise<boolean> {
    const rows = await orm.em.fork().execute<Array<{ beyond: boolean }>>(BEYOND_CURSOR[side], [CHAT, CHAT, messageId(seq)]);
    return rows[0]!.beyond;
  }

  for (const side of ['previous', 'next'] as const) {
    it(`whether anything lies ${side === 'next' ? 'at or after' : 'at or before'} a cursor reads the index, never the table`, async () => {
      const text = await plan(BEYOND_CURSOR[side], [CHAT, CHAT, messageId(ROWS / 2)]);
      expect(text).to.include('messages_chat_seq_key');
      expect(text).not.to.include('"Seq Scan"');
    });
  }

  it('answers whether a visible message lies beyond the cursor, the cursor itself included', async () => {
    expect(await beyond('next', ROWS)).to.equal(true);
    expect(await beyond('previous', 1)).to.equal(true);
    await orm.em.fork().execute('update messages set deleted_at = now() where chat_id = ? and seq = ?', [CHAT, ROWS]);
    expect(await beyond('next', ROWS)).to.equal(false);
    expect(await beyond('next', ROWS - 1)).to.equal(true);
    expect(await beyond('previous', ROWS)).to.equal(true);
  });
});
