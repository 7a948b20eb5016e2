import { expect } from 'chai';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { SUBJECTS, chatEventValidator, type ChatEvent } from '@neonchat/common';
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
  });
});
