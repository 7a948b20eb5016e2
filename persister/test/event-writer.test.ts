import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { writeBatch, type SequencedEvent } from '@neonchat/persister';
import type { ChatEvent } from '@neonchat/common';
import { reactionsColumn } from '@neonchat/common/queries';
import { created, deleted, edited, freshDatabase, seedChats } from './support.js';

describe('event writer @integration', function () {
  let db: pg.Pool;
  let userId: string;
  let chatIds: string[];
  // Stream sequences are unique per stream; every test takes its own range.
  let nextSeq = 1000;
  const seq = () => (nextSeq += 1);
  const at = <E extends ChatEvent>(s: number, event: E): SequencedEvent & { event: E } => ({ seq: s, event });

  before(async () => {
    db = new pg.Pool({ connectionString: await freshDatabase(), max: 8 });
    ({ userId, chatIds } = await seedChats(db, 8));
  });
  after(async () => {
    await db.end();
  });

  async function message(id: string) {
    const { rows } = await db.query<{
      text: string;
      seq: string;
      change_seq: string | null;
      deleted_at: Date | null;
      updated_at: Date | null;
    }>('select text, seq, change_seq, deleted_at, updated_at from messages where id = $1', [id]);
    return rows[0];
  }
  async function pendingFor(id: string): Promise<number> {
    const { rows } = await db.query<{ n: string }>('select count(*)::text as n from message_pending_changes where message_id = $1', [id]);
    return Number(rows[0]!.n);
  }
  async function chat(id: string) {
    const { rows } = await db.query<{ last_message_id: string | null; last_message_seq: string | null; updated_at: Date }>(
      'select last_message_id, last_message_seq, updated_at from chats where id = $1',
      [id],
    );
    return rows[0]!;
  }

  it('writes a batch of messages and moves the chat pointer once, to the newest', async () => {
    const chatId = chatIds[0]!;
    const events = Array.from({ length: 5 }, (_, i) => at(seq(), created(chatId, userId, `hello ${i}`)));
    await writeBatch(db, events);
    const last = events[4]!;
    expect((await chat(chatId)).last_message_id).to.equal(last.event.id);
    expect((await chat(chatId)).last_message_seq).to.equal(String(last.seq));
    for (const e of events) expect((await message(e.event.id))?.seq).to.equal(String(e.seq));
  });

  it('stores any text exactly, whatever characters it holds', async () => {
    const chatId = chatIds[0]!;
    const texts = ['NULL', 'say "hi"', 'back\\slash \\" mix', '{braces}, commas', 'line\nbreak\ttab', ' padded ', 'émoji 🚀 ✓', "it's"];
    const events = texts.map((t) => at(seq(), created(chatId, userId, t)));
    await writeBatch(db, events);
    for (const e of events) expect((await message(e.event.id))?.text).to.equal(e.event.text);
  });

  it('is idempotent: the same batch written again changes nothing', async () => {
    const chatId = chatIds[1]!;
    const m = created(chatId, userId, 'once');
    const s = seq();
    const batch = [at(s, m), at(seq(), edited(chatId, m.id, userId, 'edited once')), at(seq(), created(chatId, userId, 'second'))];
    await writeBatch(db, batch);
    const before = await db.query('select id, seq, text, change_seq from messages where chat_id = $1 order by seq', [chatId]);
    const chatBefore = await chat(chatId);
    await writeBatch(db, batch);
    await writeBatch(db, batch.slice(0, 2));
    const afterRows = await db.query('select id, seq, text, change_seq from messages where chat_id = $1 order by seq', [chatId]);
    expect(afterRows.rows).to.deep.equal(before.rows);
    expect(afterRows.rowCount).to.equal(2);
    expect(await chat(chatId)).to.deep.equal(chatBefore);
    expect(await pendingFor(m.id)).to.equal(0);
  });

  it('never moves the chat pointer back when batches commit out of stream order', async () => {
    const chatId = chatIds[2]!;
    const early = at(seq(), created(chatId, userId, 'early'));
    const late = at(seq(), created(chatId, userId, 'late'));
    await writeBatch(db, [late]);
    await writeBatch(db, [early]);
    expect((await chat(chatId)).last_message_id).to.equal(late.event.id);
  });

  it('parks an edit that arrives before its message and applies it when the message lands', async () => {
    const chatId = chatIds[3]!;
    const m = created(chatId, userId, 'original');
    const mSeq = seq();
    const editSeq = seq();
    const outcome = await writeBatch(db, [at(editSeq, edited(chatId, m.id, userId, 'edited before it landed'))]);
    expect(outcome.parked).to.equal(1);
    expect(await message(m.id)).to.equal(undefined);
    await writeBatch(db, [at(mSeq, m)]);
    const row = await message(m.id);
    expect(row?.text).to.equal('edited before it landed');
    expect(row?.change_seq).to.equal(String(editSeq));
    expect(await pendingFor(m.id)).to.equal(0);
  });

  it('never lets an older edit overwrite a newer one', async () => {
    const chatId = chatIds[3]!;
    const m = created(chatId, userId, 'v0');
    await writeBatch(db, [at(seq(), m)]);
    const older = seq();
    const newer = seq();
    await writeBatch(db, [at(newer, edited(chatId, m.id, userId, 'v2'))]);
    await writeBatch(db, [at(older, edited(chatId, m.id, userId, 'v1'))]);
    expect((await message(m.id))?.text).to.equal('v2');
    // Both parked before the message: still only the newer one wins.
    const n = created(chatId, userId, 'w0');
    const nSeq = seq();
    const e1 = seq();
    const e2 = seq();
    await writeBatch(db, [at(e2, edited(chatId, n.id, userId, 'w2'))]);
    await writeBatch(db, [at(e1, edited(chatId, n.id, userId, 'w1'))]);
    await writeBatch(db, [at(nSeq, n)]);
    expect((await message(n.id))?.text).to.equal('w2');
    expect((await message(n.id))?.change_seq).to.equal(String(e2));
  });

  it('applies a delete that arrives before its message, and an edit that comes later in the stream does not undo it', async () => {
    const chatId = chatIds[4]!;
    const m = created(chatId, userId, 'to delete');
    const mSeq = seq();
    const delSeq = seq();
    const editSeq = seq();
    await writeBatch(db, [at(editSeq, edited(chatId, m.id, userId, 'edit after delete'))]);
    await writeBatch(db, [at(delSeq, deleted(chatId, m.id, userId))]);
    await writeBatch(db, [at(mSeq, m)]);
    const row = await message(m.id);
    expect(row?.deleted_at).to.be.instanceOf(Date);
    expect(row?.text).to.equal('to delete');
    expect(await pendingFor(m.id)).to.equal(0);
  });

  it('applies message, edits and delete of one batch in stream order whatever their order in the batch', async () => {
    const chatId = chatIds[4]!;
    const m = created(chatId, userId, 'a');
    const s0 = seq();
    const s1 = seq();
    const s2 = seq();
    const s3 = seq();
    await writeBatch(db, [
      at(s3, edited(chatId, m.id, userId, 'after delete')),
      at(s2, deleted(chatId, m.id, userId)),
      at(s1, edited(chatId, m.id, userId, 'b')),
      at(s0, m),
    ]);
    const row = await message(m.id);
    expect(row?.text).to.equal('b');
    expect(row?.deleted_at).to.be.instanceOf(Date);
    expect(row?.change_seq).to.equal(String(s2));
  });

  it('never strands an edit when its message and the edit are written by concurrent transactions', async () => {
    const chatId = chatIds[5]!;
    const ids: string[] = [];
    for (let round = 0; round < 40; round++) {
      const m = created(chatId, userId, `race ${round}`);
      ids.push(m.id);
      const mBatch = [at(seq(), m)];
      const eBatch = [at(seq(), edited(chatId, m.id, userId, `race ${round} edited`))];
      // Alternate who starts first; both run at once on separate connections.
      const writes = round % 2 ? [writeBatch(db, mBatch), writeBatch(db, eBatch)] : [writeBatch(db, eBatch), writeBatch(db, mBatch)];
      await Promise.all(writes);
    }
    const { rows } = await db.query<{ n: string }>(
      `select count(*)::text as n from messages where id = any($1::uuid[]) and text like '% edited'`,
      [ids],
    );
    expect(Number(rows[0]!.n)).to.equal(40);
    const pending = await db.query<{ n: string }>(
      'select count(*)::text as n from message_pending_changes where message_id = any($1::uuid[])',
      [ids],
    );
    expect(Number(pending.rows[0]!.n)).to.equal(0);
  });

  it('leaves its connection fit for the next batch after a refused one (statements prepared on it, nothing of the refused batch)', async () => {
    const one = new pg.Pool({ connectionString: (db.options as { connectionString: string }).connectionString, max: 1 });
    try {
      const chatId = chatIds[0]!;
      const first = at(seq(), created(chatId, userId, 'prepares the statements'));
      await writeBatch(one, [first]);
      const bad = at(seq(), created(chatId, userId, 'nul \u0000 byte'));
      const error = await writeBatch(one, [at(seq(), created(chatId, userId, 'same batch as the bad one')), bad]).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect((error as { code?: string } | undefined)?.code, 'PostgreSQL refuses a NUL in text').to.match(/^22/);
      expect((await chat(chatId)).last_message_id, 'the refused batch moved nothing').to.equal(first.event.id);
      const next = Array.from({ length: 3 }, (_, i) => at(seq(), created(chatId, userId, `after ${i}`)));
      await writeBatch(one, next);
      expect((await chat(chatId)).last_message_id).to.equal(next[2]!.event.id);
      for (const e of next) expect((await message(e.event.id))?.text).to.equal(e.event.text);
      expect(await message(bad.event.id)).to.equal(undefined);
    } finally {
      await one.end();
    }
  });

  it('reports events of chats that do not exist and writes the rest', async () => {
    const chatId = chatIds[6]!;
    const ghost = randomUUID();
    const good = created(chatId, userId, 'good');
    const outcome = await writeBatch(db, [at(seq(), created(ghost, userId, 'nowhere')), at(seq(), good)]);
    expect([...outcome.missingChats]).to.deep.equal([ghost]);
    expect((await message(good.id))?.text).to.equal('good');
  });

  it('locks chats with nested loops only, and turns the other join methods back on for the statements after', async () => {
    const one = new pg.Pool({ connectionString: (db.options as { connectionString: string }).connectionString, max: 1 });
    try {
      const client = await one.connect();
      const query = client.query.bind(client) as (...args: unknown[]) => Promise<pg.QueryResult>;
      const seen: string[] = [];
      const joins = async (when: string) => {
        const { rows } = await query(`select current_setting('enable_hashjoin') as h, current_setting('enable_mergejoin') as m`);
        seen.push(`${when}: ${String(rows[0]?.h)}/${String(rows[0]?.m)}`);
      };
      // The same connection, watched: the join settings right after `begin` and after the chat update.
      (client as unknown as { query: (...args: unknown[]) => Promise<pg.QueryResult> }).query = async (...args: unknown[]) => {
        const result = await query(...args);
        const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text;
        if (text?.startsWith('begin')) await joins('begin');
        else if (text?.includes('update chats')) await joins('chats');
        return result;
      };
      client.release();
      await writeBatch(one, [at(seq(), created(chatIds[2]!, userId, 'joins'))]);
      expect(seen).to.deep.equal(['begin: off/off', 'chats: on/on']);
    } finally {
      await one.end();
    }
  });

  it('refuses (does not drop in silence) a message whose stream position in its chat another message holds', async () => {
    const chatId = chatIds[1]!;
    const s = seq();
    await writeBatch(db, [at(s, created(chatId, userId, 'first at this position'))]);
    const other = created(chatId, userId, 'another message, same position');
    const error = await writeBatch(db, [at(s, other)]).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((error as { code?: string } | undefined)?.code, 'unique violation: a refusal, dead-lettered by the persister').to.equal('23505');
    expect(await message(other.id)).to.equal(undefined);
  });

  it('takes one chat spelled in both cases in one batch as one chat: nothing missing, every message written', async () => {
    const lower = created(chatIds[7]!, userId, 'lower');
    const upper = created(chatIds[7]!.toUpperCase(), userId, 'upper');
    const outcome = await writeBatch(db, [at(seq(), lower), at(seq(), upper)]);
    expect([...outcome.missingChats]).to.deep.equal([]);
    expect((await message(lower.id))?.text).to.equal('lower');
    expect((await message(upper.id))?.text).to.equal('upper');
    expect((await chat(chatIds[7]!)).last_message_id, 'the newer of the two').to.equal(upper.id);
  });

  it('names a missing chat as the batch spells it, and writes to a chat whose id comes in upper case', async () => {
    const ghost = randomUUID().toUpperCase();
    const upper = created(chatIds[6]!.toUpperCase(), userId, 'upper-case chat id');
    const outcome = await writeBatch(db, [at(seq(), created(ghost, userId, 'nowhere')), at(seq(), upper)]);
    expect([...outcome.missingChats]).to.deep.equal([ghost]);
    expect((await message(upper.id))?.text).to.equal('upper-case chat id');
    expect((await chat(chatIds[6]!)).last_message_id).to.equal(upper.id);
  });

  it('moves read marks forward only', async () => {
    const chatId = chatIds[7]!;
    const read = (s: number): ChatEvent => ({
      type: 'chat.read',
      chat_id: chatId,
      user_id: userId,
      message_id: randomUUID(),
      seq: s,
      read_at: new Date().toISOString(),
    });
    await writeBatch(db, [at(seq(), read(50)), at(seq(), read(40))]);
    await writeBatch(db, [at(seq(), read(30))]);
    const { rows } = await db.query<{ last_read_seq: string }>(
      'select last_read_seq from chat_members where chat_id = $1 and user_id = $2',
      [chatId, userId],
    );
    expect(rows[0]!.last_read_seq).to.equal('50');
  });

  it('keeps the last reaction change per (message, emoji, user) by sequence, whatever the batch order', async () => {
    const chatId = chatIds[2]!;
    const msg = at(seq(), created(chatId, userId, 'react here'));
    await writeBatch(db, [msg]);
    const other = randomUUID();
    const reaction = (type: 'reaction.added' | 'reaction.removed', user: string, emoji: string): ChatEvent => ({
      type,
      chat_id: chatId,
      message_id: msg.event.id,
      user_id: user,
      emoji,
      at: new Date().toISOString(),
    });
    const add = at(seq(), reaction('reaction.added', userId, '👍'));
    const remove = at(seq(), reaction('reaction.removed', userId, '👍'));
    const otherAdd = at(seq(), reaction('reaction.added', other, '👍'));
    const heart = at(seq(), reaction('reaction.added', userId, '❤️'));
    // The removal commits first (another replica), then the older add arrives: it must not win.
    await writeBatch(db, [remove, otherAdd]);
    await writeBatch(db, [add, heart, heart]);
    const { rows } = await db.query<{ reactions: unknown }>(`select ${reactionsColumn('messages.id')} from messages where id = $1`, [
      msg.event.id,
    ]);
    expect(rows[0]!.reactions).to.deep.equal([
      { emoji: '👍', user_ids: [other] },
      { emoji: '❤️', user_ids: [userId] },
    ]);
  });
});
