import { expect } from 'chai';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { SUBJECTS, chatEventValidator, uuidv7, type ChatEvent } from '@neonchat/common';
import { testEnvironment, waitFor } from '@neonchat/common/testing';
import { historyStatement } from '../src/domain/message-history.js';
import { startHarness, storeMessages, type Harness, type TestUser } from './support/api-harness.js';

describe('messages @integration', () => {
  let h: Harness;
  let nc: NatsConnection;
  before(async () => {
    h = await startHarness();
    nc = await connect({ servers: testEnvironment().natsUrl });
  });
  after(async () => {
    await nc.drain();
    await h.close();
  });

  async function pair(): Promise<{ a: TestUser; b: TestUser; chatId: string }> {
    const [a, b] = [await h.user(), await h.user()];
    const res = await h.request('POST', '/api/v1/chats', { token: a.token, body: { partner_id: b.id } });
    return { a, b, chatId: res.body.id as string };
  }

  /** Chat events published on the chat's stream subject from now on, validated. */
  async function streamEvents(chatId: string): Promise<ChatEvent[]> {
    const seen: ChatEvent[] = [];
    nc.subscribe(SUBJECTS.chatEvents(chatId), { callback: (_e, m) => void seen.push(chatEventValidator.parse(m.json())) });
    await nc.flush();
    return seen;
  }

  describe('history', () => {
    it('pages newest first with before_id and forward with after_id', async () => {
      const { a, b, chatId } = await pair();
      const ids = await storeMessages(h.api, chatId, [a.id, b.id], 7, 1);
      const newest = await h.request('GET', `/api/v1/chats/${chatId}/messages?limit=3`, { token: a.token });
      expect(newest.status).to.equal(200);
      expect(newest.body.messages.map((m: { id: string }) => m.id)).to.deep.equal(ids.slice(4));
      expect(newest.body).to.include({ has_previous: true, has_next: false });
      const older = await h.request('GET', `/api/v1/chats/${chatId}/messages?limit=3&before_id=${ids[4]}`, { token: a.token });
      expect(older.body.messages.map((m: { id: string }) => m.id)).to.deep.equal(ids.slice(1, 4));
      const oldest = await h.request('GET', `/api/v1/chats/${chatId}/messages?limit=3&before_id=${ids[1]}`, { token: a.token });
      expect(oldest.body.messages.map((m: { id: string }) => m.id)).to.deep.equal([ids[0]]);
      expect(oldest.body.has_previous).to.equal(false);
      const after = await h.request('GET', `/api/v1/chats/${chatId}/messages?limit=4&after_id=${ids[1]}`, { token: a.token });
      expect(after.body.messages.map((m: { id: string }) => m.id)).to.deep.equal(ids.slice(2, 6));
      expect(after.body.has_next).to.equal(true);
    });

    it('tells the truth in both flags at both ends of a chat, deleted messages included', async () => {
      const { a, b, chatId } = await pair();
      const ids = await storeMessages(h.api, chatId, [a.id, b.id], 7, 1);
      const page = async (query: string) => {
        const res = await h.request('GET', `/api/v1/chats/${chatId}/messages?${query}`, { token: a.token });
        expect(res.status, query).to.equal(200);
        return {
          ids: res.body.messages.map((m: { id: string }) => m.id),
          has_previous: res.body.has_previous,
          has_next: res.body.has_next,
        };
      };
      expect(await page('limit=10')).to.deep.equal({ ids, has_previous: false, has_next: false });
      expect(await page(`limit=3&after_id=${ids[0]}`)).to.deep.equal({ ids: ids.slice(1, 4), has_previous: true, has_next: true });
      expect(await page(`after_id=${ids[6]}`)).to.deep.equal({ ids: [], has_previous: true, has_next: false });
      expect(await page(`limit=10&before_id=${ids[4]}`)).to.deep.equal({ ids: ids.slice(0, 4), has_previous: false, has_next: true });
      expect(await page(`before_id=${ids[0]}`)).to.deep.equal({ ids: [], has_previous: false, has_next: true });

      // Deleted messages at the ends: a flag never points at something a client cannot get.
      await h.api.orm.em
        .fork()
        .execute('update messages set deleted_at = now() where chat_id = ? and id in (?, ?)', [chatId, ids[0], ids[6]]);
      expect(await page(`after_id=${ids[0]}&limit=2`)).to.deep.equal({ ids: ids.slice(1, 3), has_previous: false, has_next: true });
      expect(await page(`before_id=${ids[6]}`)).to.deep.equal({ ids: ids.slice(1, 6), has_previous: false, has_next: false });
      expect(await page(`before_id=${ids[5]}&limit=2`)).to.deep.equal({ ids: ids.slice(3, 5), has_previous: true, has_next: true });
    });

    it('refuses both cursors at once (400), whatever their order', async () => {
      const { a, b, chatId } = await pair();
      const ids = await storeMessages(h.api, chatId, [a.id, b.id], 3, 1);
      for (const query of [`before_id=${ids[2]}&after_id=${ids[0]}`, `after_id=${ids[0]}&before_id=${ids[2]}`]) {
        const res = await h.request('GET', `/api/v1/chats/${chatId}/messages?${query}`, { token: a.token });
        expect(res.status, query).to.equal(400);
        expect(res.body.error).to.include({ code: 'validation_failed', field: 'before_id' });
      }
    });

    it('refuses bad limits, unknown cursors and strangers', async () => {
      const { a, chatId } = await pair();
      const stranger = await h.user();
      expect((await h.request('GET', `/api/v1/chats/${chatId}/messages?limit=201`, { token: a.token })).body.error.field).to.equal('limit');
      expect((await h.request('GET', `/api/v1/chats/${chatId}/messages?before_id=nope`, { token: a.token })).body.error.field).to.equal(
        'before_id',
      );
      const unknown = await h.request('GET', `/api/v1/chats/${chatId}/messages?before_id=0190a0a0-0000-7000-8000-0000000000bb`, {
        token: a.token,
      });
      expect(unknown.status).to.equal(404);
      expect((await h.request('GET', `/api/v1/chats/${chatId}/messages`, { token: stranger.token })).status).to.equal(404);
      expect((await h.request('GET', '/api/v1/chats/not-a-uuid/messages', { token: a.token })).body.error.field).to.equal('chat_id');
    });

    it('walks a chat back to the start while new messages arrive: no gaps, no duplicates', async () => {
      const { a, b, chatId } = await pair();
      const initial = await storeMessages(h.api, chatId, [a.id, b.id], 500, 1);
      let nextSeq = 501;
      const arrived: string[] = [];
      const seen: string[] = [];
      let page = await h.request('GET', `/api/v1/chats/${chatId}/messages?limit=37`, { token: a.token });
      for (;;) {
        seen.unshift(...page.body.messages.map((m: { id: string }) => m.id));
        // Messages keep arriving between pages, as the persister would write them.
        arrived.push(...(await storeMessages(h.api, chatId, [b.id], 3, nextSeq)));
        nextSeq += 3;
        if (!page.body.has_previous) break;
        page = await h.request('GET', `/api/v1/chats/${chatId}/messages?limit=37&before_id=${seen[0]}`, { token: a.token });
      }
      expect(seen).to.deep.equal(initial);

      // Forward from the first page: everything, old and new, once and in order.
      const forward: string[] = [];
      let cursor = initial[0]!;
      for (;;) {
        const res = await h.request('GET', `/api/v1/chats/${chatId}/messages?limit=200&after_id=${cursor}`, { token: a.token });
        forward.push(...res.body.messages.map((m: { id: string }) => m.id));
        if (!res.body.has_next) break;
        cursor = forward.at(-1)!;
        if (forward.length < 600) arrived.push(...(await storeMessages(h.api, chatId, [b.id], 2, (nextSeq += 2) - 2)));
      }
      expect(forward).to.deep.equal([...initial.slice(1), ...arrived]);
    });

    it('reads history through the (chat_id, seq) index, reactions through their key', async () => {
      const { a, b, chatId } = await pair();
      const ids = await storeMessages(h.api, chatId, [a.id, b.id], 5000, 1);
      const em = h.api.orm.em.fork();
      // Statistics for every table of the statement, as autovacuum may or may not have made them by
      // now: with a few rows in chats and chat_members a sequential scan of their one page is the
      // planner's right choice, and it is not the page.
      await em.execute('analyze messages, chats, chat_members');
      const plan = async (direction: 'newest' | 'before' | 'after', params: unknown[]) =>
        (await em.execute<Array<{ 'QUERY PLAN': string }>>(`explain ${historyStatement(direction)}`, params))
          .map((r) => r['QUERY PLAN'])
          .join('\n');
      const plans = [
        await plan('newest', [a.id, chatId, 51, chatId]),
        await plan('before', [a.id, chatId, chatId, ids[2500], 51, chatId]),
        await plan('after', [a.id, chatId, chatId, ids[2500], 51, chatId]),
      ];
      for (const text of plans) {
        expect(text).to.match(/Index Scan( Backward)? using messages_chat_seq_key on messages/);
        // The page itself needs no sort and no scan of messages; each message's reactions are one
        // probe of their primary key (the small per-message sort of emojis is in the sub-plan).
        const [page, reactions] = text.split('SubPlan');
        expect(page).not.to.match(/Seq Scan on messages|Sort/);
        expect(reactions).to.match(/message_reactions_pkey/);
      }
    });
  });

  describe('edits and deletes', () => {
    it('publishes the author’s edit on the chat stream and refuses anyone else', async () => {
      const { a, b, chatId } = await pair();
      const [mine, theirs] = await storeMessages(h.api, chatId, [a.id, b.id], 2, 1);
      const events = await streamEvents(chatId);
      const edit = await h.request('PATCH', `/api/v1/chats/${chatId}/messages/${mine}`, { token: a.token, body: { text: '  fixed  ' } });
      expect(edit.status).to.equal(200);
      expect(edit.body).to.deep.include({ id: mine, text: 'fixed', sender_id: a.id });
      await waitFor(() => events.length === 1, { what: 'message.updated on the stream' });
      expect(events[0]).to.deep.include({ type: 'message.updated', id: mine, chat_id: chatId, editor_id: a.id, text: 'fixed' });

      expect(
        (await h.request('PATCH', `/api/v1/chats/${chatId}/messages/${theirs}`, { token: a.token, body: { text: 'x' } })).status,
      ).to.equal(403);
      const unknown = await h.request('PATCH', `/api/v1/chats/${chatId}/messages/0190a0a0-0000-7000-8000-0000000000cc`, {
        token: a.token,
        body: { text: 'x' },
      });
      expect(unknown.status).to.equal(404);
      const blank = await h.request('PATCH', `/api/v1/chats/${chatId}/messages/${mine}`, { token: a.token, body: { text: '   ' } });
      expect(blank.status).to.equal(400);
      expect(blank.body.error.field).to.equal('text');
      const tooLong = await h.request('PATCH', `/api/v1/chats/${chatId}/messages/${mine}`, {
        token: a.token,
        body: { text: 'x'.repeat(4097) },
      });
      expect(tooLong.status).to.equal(400);
    });

    it('lets the author delete, an admin delete anyone’s, and nobody else', async () => {
      const [owner, m1, m2] = [await h.user(), await h.user(), await h.user()];
      const g = await h.request('POST', '/api/v1/chats', {
        token: owner.token,
        body: { type: 'group', name: 'g', member_ids: [m1.id, m2.id] },
      });
      const chatId = g.body.id as string;
      const [byM1, byM2] = await storeMessages(h.api, chatId, [m1.id, m2.id], 2, 1);
      const events = await streamEvents(chatId);
      expect((await h.request('DELETE', `/api/v1/chats/${chatId}/messages/${byM2}`, { token: m1.token })).status).to.equal(403);
      expect((await h.request('DELETE', `/api/v1/chats/${chatId}/messages/${byM1}`, { token: m1.token })).status).to.equal(204);
      expect((await h.request('DELETE', `/api/v1/chats/${chatId}/messages/${byM2}`, { token: owner.token })).status).to.equal(204);
      await waitFor(() => events.length === 2, { what: 'message.deleted events' });
      expect(events.map((e) => e.type === 'message.deleted' && [e.id, e.deleted_by])).to.deep.equal([
        [byM1, m1.id],
        [byM2, owner.id],
      ]);
    });
  });

  describe('read marks', () => {
    it('moves forward only, counts later messages of others, and tells other devices', async () => {
      const { a, b, chatId } = await pair();
      const ids = await storeMessages(h.api, chatId, [b.id, b.id, a.id], 9, 1); // b sent 6, a sent 3
      const events = await streamEvents(chatId);
      const read = await h.request('POST', `/api/v1/chats/${chatId}/read`, { token: a.token, body: { message_id: ids[5] } });
      expect(read.status).to.equal(200);
      expect(read.body).to.deep.equal({ chat_id: chatId, message_id: ids[5], last_read_seq: 6, unread_count: 2 });
      const back = await h.request('POST', `/api/v1/chats/${chatId}/read`, { token: a.token, body: { message_id: ids[1] } });
      expect(back.body.last_read_seq).to.equal(6);
      const list = await h.request('GET', '/api/v1/chats', { token: a.token });
      expect(list.body.chats.find((c: { id: string }) => c.id === chatId).unread_count).to.equal(2);
      await waitFor(() => events.length === 2, { what: 'chat.read events' });
      expect(events[0]).to.deep.include({ type: 'chat.read', chat_id: chatId, user_id: a.id, message_id: ids[5], seq: 6 });

      const missing = await h.request('POST', `/api/v1/chats/${chatId}/read`, { token: a.token, body: {} });
      expect(missing.status).to.equal(400);
      expect(missing.body.error.field).to.equal('message_id');
      const stranger = await h.user();
      expect(
        (await h.request('POST', `/api/v1/chats/${chatId}/read`, { token: stranger.token, body: { message_id: ids[0] } })).status,
      ).to.equal(404);
    });

    /** A message the stream acked that no persister has written (none runs here): its id and stream seq. */
    async function ackedOnly(chatId: string, senderId: string): Promise<{ id: string; seq: number }> {
      const id = uuidv7();
      const event = {
        type: 'message.created',
        id,
        chat_id: chatId,
        sender_id: senderId,
        text: 'acked, not stored',
        created_at: new Date().toISOString(),
      };
      const ack = await jetstream(nc).publish(SUBJECTS.chatEvents(chatId), JSON.stringify(event));
      return { id, seq: ack.seq };
    }

    it('marks read a message the stream acked before PostgreSQL has it, found by its seq', async () => {
      const { a, b, chatId } = await pair();
      const message = await ackedOnly(chatId, b.id);
      const read = (body: Record<string, unknown>) => h.request('POST', `/api/v1/chats/${chatId}/read`, { token: a.token, body });

      const withoutSeq = await read({ message_id: message.id });
      expect(withoutSeq.status, 'not stored and no seq: nothing to find it by').to.equal(404);
      const events = await streamEvents(chatId);
      const ok = await read({ message_id: message.id, seq: message.seq });
      expect(ok.status).to.equal(200);
      expect(ok.body).to.deep.include({ chat_id: chatId, message_id: message.id, last_read_seq: message.seq });
      await waitFor(() => events.length === 1, { what: 'the chat.read event' });
      expect(events[0]).to.deep.include({ type: 'chat.read', user_id: a.id, message_id: message.id, seq: message.seq });

      // A seq must hold that very message of that very chat.
      const elsewhere = await pair();
      const other = await ackedOnly(elsewhere.chatId, elsewhere.b.id);
      for (const body of [
        { message_id: message.id, seq: message.seq + 10_000 },
        { message_id: message.id, seq: other.seq },
        { message_id: other.id, seq: other.seq },
        { message_id: uuidv7(), seq: message.seq },
      ])
        expect((await read(body)).status, JSON.stringify(body)).to.equal(404);
    });

    it('refuses a hostile seq with 400 validation_failed', async () => {
      const { a, b, chatId } = await pair();
      const [id] = await storeMessages(h.api, chatId, [b.id], 1, 1);
      const raw = (json: string) =>
        h.api.app.inject({
          method: 'POST',
          url: `/api/v1/chats/${chatId}/read`,
          headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' },
          payload: json,
        });
      for (const seq of ['0', '-0', '-1', '1.5', '1e309', '9007199254740992', '"1"', '"\\u0000"', 'null', '[1]']) {
        const res = await raw(`{"message_id":"${id}","seq":${seq}}`);
        expect(res.statusCode, `seq ${seq.slice(0, 20)}`).to.equal(400);
        expect(res.json().error.code).to.equal('validation_failed');
      }
      const deep = await raw(`{"message_id":"${id}","seq":${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
      expect(deep.statusCode).to.equal(400);
      const huge = await raw(`{"message_id":"${id}","seq":"${'9'.repeat(1 << 20)}"}`);
      expect(huge.statusCode, 'a 1 MiB body is over the body limit').to.equal(413);
      expect(huge.json().error.code).to.equal('payload_too_large');
    });
  });

  describe('how far the others have read', () => {
    it('is in the chat list (with the preview message id) and in every history page', async () => {
      const { a, b, chatId } = await pair();
      const ids = await storeMessages(h.api, chatId, [a.id], 6, 1);
      const chatOf = async () =>
        (await h.request('GET', '/api/v1/chats', { token: a.token })).body.chats.find((c: { id: string }) => c.id === chatId);
      expect((await chatOf()).others_read_seq).to.equal(0);
      expect((await h.request('POST', `/api/v1/chats/${chatId}/read`, { token: b.token, body: { message_id: ids[3] } })).status).to.equal(
        200,
      );
      const chat = await chatOf();
      expect(chat.others_read_seq, "Bob's read mark").to.equal(4);
      expect(chat.last_message.id).to.equal(ids[5]);
      const newest = await h.request('GET', `/api/v1/chats/${chatId}/messages?limit=2`, { token: a.token });
      expect(newest.body.others_read_seq).to.equal(4);
      const older = await h.request('GET', `/api/v1/chats/${chatId}/messages?before_id=${ids[2]}`, { token: a.token });
      expect(older.body.others_read_seq).to.equal(4);
      // Bob's own view: Alice has read nothing; his own mark is not "the others'".
      expect((await h.request('GET', `/api/v1/chats/${chatId}/messages`, { token: b.token })).body.others_read_seq).to.equal(0);
    });
  });
});
