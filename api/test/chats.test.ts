import { expect } from 'chai';
import { connect } from '@nats-io/transport-node';
import { PresenceEnv, SUBJECTS, type ConnectionOpenedReport } from '@neonchat/common';
import { startNats, testServiceConfig, waitFor, type RunningServer } from '@neonchat/common/testing';
import { createPresenceService } from '@neonchat/presence';
import { startHarness, storeMessages, type Harness, type TestUser } from './support/api-harness.js';
import { startPresenceStandIn } from './support/presence-stand-in.js';

describe('chats @integration', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  async function direct(a: TestUser, b: TestUser): Promise<string> {
    const res = await h.request('POST', '/api/v1/chats', { token: a.token, body: { partner_id: b.id } });
    expect(res.status).to.be.oneOf([200, 201]);
    return res.body.id as string;
  }

  describe('1:1', () => {
    it('gives both sides the same chat, once', async () => {
      const [a, b] = [await h.user(), await h.user()];
      const first = await h.request('POST', '/api/v1/chats', { token: a.token, body: { partner_id: b.id } });
      expect(first.status).to.equal(201);
      expect(first.body).to.deep.include({ type: 'direct', name: null, partner: { id: b.id, username: b.username } });
      const again = await h.request('POST', '/api/v1/chats', { token: b.token, body: { partner_id: a.id } });
      expect(again.status).to.equal(200);
      expect(again.body.id).to.equal(first.body.id);
      expect(again.body.partner.id).to.equal(a.id);
    });

    it('refuses yourself, unknown partners and mixed bodies', async () => {
      const a = await h.user();
      const self = await h.request('POST', '/api/v1/chats', { token: a.token, body: { partner_id: a.id } });
      expect(self.status).to.equal(400);
      expect(self.body.error.field).to.equal('partner_id');
      const ghost = await h.request('POST', '/api/v1/chats', {
        token: a.token,
        body: { partner_id: '0190a0a0-0000-7000-8000-0000000000ff' },
      });
      expect(ghost.status).to.equal(404);
      const none = await h.request('POST', '/api/v1/chats', { token: a.token, body: {} });
      expect(none.status).to.equal(400);
      expect(none.body.error.field).to.equal('partner_id');
      const mixed = await h.request('POST', '/api/v1/chats', { token: a.token, body: { partner_id: a.id, name: 'x' } });
      expect(mixed.status).to.equal(400);
      expect(mixed.body.error.field).to.equal('name');
    });
  });

  describe('groups and channels', () => {
    it('creates a group with the creator as admin and the others as members', async () => {
      const [owner, m1, m2] = [await h.user(), await h.user(), await h.user()];
      const res = await h.request('POST', '/api/v1/chats', {
        token: owner.token,
        body: { type: 'group', name: 'Team', member_ids: [m1.id, m2.id, owner.id] },
      });
      expect(res.status).to.equal(201);
      expect(res.body).to.deep.include({ type: 'group', name: 'Team', partner: null });
      const details = await h.request('GET', `/api/v1/chats/${res.body.id}`, { token: m1.token });
      expect(details.status).to.equal(200);
      expect(details.body.my_role).to.equal('member');
      expect(details.body.members).to.have.deep.members([
        { user_id: owner.id, username: owner.username, role: 'admin' },
        { user_id: m1.id, username: m1.username, role: 'member' },
        { user_id: m2.id, username: m2.username, role: 'member' },
      ]);
    });

    it('refuses a group without a name, with unknown members, or with a bad type', async () => {
      const owner = await h.user();
      const noName = await h.request('POST', '/api/v1/chats', { token: owner.token, body: { type: 'group', member_ids: [] } });
      expect(noName.status).to.equal(400);
      expect(noName.body.error.field).to.equal('name');
      const ghost = await h.request('POST', '/api/v1/chats', {
        token: owner.token,
        body: { type: 'channel', name: 'News', member_ids: ['0190a0a0-0000-7000-8000-0000000000fe'] },
      });
      expect(ghost.status).to.equal(404);
      expect(ghost.body.error.field).to.equal('member_ids');
      const badType = await h.request('POST', '/api/v1/chats', { token: owner.token, body: { type: 'party', name: 'x' } });
      expect(badType.status).to.equal(400);
      expect(badType.body.error.field).to.equal('type');
    });

    it('renames (admins only) and hides the chat from strangers', async () => {
      const [owner, member, stranger] = [await h.user(), await h.user(), await h.user()];
      const chat = await h.request('POST', '/api/v1/chats', {
        token: owner.token,
        body: { type: 'group', name: 'Old', member_ids: [member.id] },
      });
      const renamed = await h.request('PATCH', `/api/v1/chats/${chat.body.id}`, { token: owner.token, body: { name: 'New' } });
      expect(renamed.status).to.equal(200);
      expect(renamed.body.name).to.equal('New');
      const byMember = await h.request('PATCH', `/api/v1/chats/${chat.body.id}`, { token: member.token, body: { name: 'Mine' } });
      expect(byMember.status).to.equal(403);
      const byStranger = await h.request('GET', `/api/v1/chats/${chat.body.id}`, { token: stranger.token });
      expect(byStranger.status).to.equal(404);
      const empty = await h.request('PATCH', `/api/v1/chats/${chat.body.id}`, { token: owner.token, body: { name: '' } });
      expect(empty.status).to.equal(400);
      expect(empty.body.error.field).to.equal('name');
    });
  });

  describe('GET /chats', () => {
    it('lists chats with partner, last message, unread count, total and has_more', async () => {
      const [me, p1, p2, p3] = [await h.user(), await h.user(), await h.user(), await h.user()];
      const c1 = await direct(me, p1);
      const c2 = await direct(me, p2);
      const group = await h.request('POST', '/api/v1/chats', { token: me.token, body: { type: 'group', name: 'G', member_ids: [p3.id] } });
      await storeMessages(h.api, c1, [p1.id, me.id], 5, 1); // p1 sent 3 of them, me 2
      await storeMessages(h.api, group.body.id as string, [p3.id], 4, 1);

      const page = await h.request('GET', '/api/v1/chats?limit=2', { token: me.token });
      expect(page.status).to.equal(200);
      expect(page.body.total).to.equal(3);
      expect(page.body.has_more).to.equal(true);
      expect(page.body.chats).to.have.length(2);
      const all = await h.request('GET', '/api/v1/chats?limit=100', { token: me.token });
      const byId = new Map<string, Record<string, unknown>>(all.body.chats.map((c: { id: string }) => [c.id, c]));
      expect(byId.get(c1)).to.deep.include({
        type: 'direct',
        name: null,
        partner: { id: p1.id, username: p1.username, online: false },
        unread_count: 3,
      });
      expect(byId.get(c1)!.last_message).to.deep.include({ text: 'message 5', sender_id: p1.id });
      expect(byId.get(c2)).to.deep.include({ last_message: null, unread_count: 0 });
      expect(byId.get(group.body.id as string)).to.deep.include({ type: 'group', name: 'G', partner: null, unread_count: 4 });

      const unread = await h.request('GET', '/api/v1/chats?unread_only=true', { token: me.token });
      expect(unread.body.total).to.equal(2);
      expect(unread.body.chats.map((c: { id: string }) => c.id)).to.have.members([c1, group.body.id]);

      const past = await h.request('GET', '/api/v1/chats?offset=10', { token: me.token });
      expect(past.body).to.deep.equal({ chats: [], total: 3, has_more: false });
    });

    it('answers in the same number of SQL statements whatever the page size', async () => {
      const me = await h.user();
      const partners = await Promise.all(Array.from({ length: 30 }, () => h.user()));
      for (const p of partners.slice(0, 3)) await direct(me, p);
      let statements = 0;
      const previous = h.api.orm.config.get('onQuery');
      h.api.orm.config.set('onQuery', (sql: string, params: unknown[]) => {
        statements += 1;
        return previous(sql, params);
      });
      const count = async (limit: number) => {
        statements = 0;
        const res = await h.request('GET', `/api/v1/chats?limit=${limit}`, { token: me.token });
        expect(res.status).to.equal(200);
        return { statements, chats: res.body.chats.length as number };
      };
      try {
        const small = await count(3);
        for (const p of partners.slice(3)) await direct(me, p);
        const large = await count(30);
        expect(small.chats).to.equal(3);
        expect(large.chats).to.equal(30);
        expect(large.statements).to.equal(small.statements);
        expect(large.statements).to.be.at.most(2);
      } finally {
        h.api.orm.config.set('onQuery', previous);
      }
    });

    it('refuses a limit over 100 and unknown parameters', async () => {
      const me = await h.user();
      const big = await h.request('GET', '/api/v1/chats?limit=101', { token: me.token });
      expect(big.status).to.equal(400);
      expect(big.body.error.field).to.equal('limit');
      const unknown = await h.request('GET', '/api/v1/chats?sort=name', { token: me.token });
      expect(unknown.status).to.equal(400);
    });

    it('keeps working without a presence responder, and shows online partners when one answers', async function () {
      this.timeout(15000);
      let nats: RunningServer | undefined;
      let own: Harness | undefined;
      try {
        nats = await startNats();
        own = await startHarness({ NATS_URL: nats.url });
        const [me, on, off] = [await own.user(), await own.user(), await own.user()];
        await own.request('POST', '/api/v1/chats', { token: me.token, body: { partner_id: on.id } });
        await own.request('POST', '/api/v1/chats', { token: me.token, body: { partner_id: off.id } });
        const unanswered = await own.request('GET', '/api/v1/chats', { token: me.token });
        expect(unanswered.status).to.equal(200);
        expect(unanswered.body.chats.map((c: { partner: { online: boolean } }) => c.partner.online)).to.deep.equal([false, false]);

        const standIn = await startPresenceStandIn(nats.url, new Set([on.id]));
        try {
          const answered = await own.request('GET', '/api/v1/chats', { token: me.token });
          const online = Object.fromEntries(
            answered.body.chats.map((c: { partner: { id: string; online: boolean } }) => [c.partner.id, c.partner.online]),
          );
          expect(online).to.deep.equal({ [on.id]: true, [off.id]: false });
          expect(standIn.queries).to.equal(1); // one request for the whole page
          const users = await own.request('GET', `/api/v1/users?query=${on.username}`, { token: me.token });
          expect(users.body.users[0]).to.deep.include({ id: on.id, online: true });
        } finally {
          await standIn.stop();
        }
      } finally {
        await own?.close();
        await nats?.stop();
      }
    });
  });

  it('shows a partner online from the real presence service', async function () {
    this.timeout(15000);
    const nats = await startNats();
    const presence = await createPresenceService(testServiceConfig(PresenceEnv, { NATS_URL: nats.url }));
    const own = await startHarness({ NATS_URL: nats.url });
    const reporter = await connect({ servers: nats.url });
    try {
      const [me, partner] = [await own.user(), await own.user()];
      await own.request('POST', '/api/v1/chats', { token: me.token, body: { partner_id: partner.id } });
      const online = async () => (await own.request('GET', '/api/v1/chats', { token: me.token })).body.chats[0].partner.online as boolean;
      expect(await online()).to.equal(false);
      const opened: ConnectionOpenedReport = {
        gateway_id: 'gw-test',
        connection_id: `c-${partner.id}`,
        user_id: partner.id,
        at: Date.now(),
      };
      reporter.publish(SUBJECTS.presenceConnect, JSON.stringify(opened));
      await waitFor(online, { what: 'partner online through presence' });
    } finally {
      await reporter.drain();
      await own.close();
      await presence.close();
      await nats.stop();
    }
  });

  describe('users', () => {
    it('finds people by prefix, paginated, without hashes or phones', async () => {
      const me = await h.user();
      const stem = `Srch_${Date.now().toString(36)}`;
      for (let i = 0; i < 3; i += 1)
        await h.request('POST', '/api/v1/auth/register', {
          body: { username: `${stem}.${i}`, password: 'secret1', phone: `+7${Date.now().toString().slice(-8)}${i}` },
        });
      await h.request('POST', '/api/v1/auth/register', { body: { username: `${stem.replace('_', 'X')}z`, password: 'secret1' } });
      const first = await h.request('GET', `/api/v1/users?query=${stem.toLowerCase()}&limit=2`, { token: me.token });
      expect(first.status).to.equal(200);
      expect(first.body.users.map((u: { username: string }) => u.username)).to.deep.equal([`${stem}.0`, `${stem}.1`]);
      expect(first.body.has_more).to.equal(true);
      expect(first.body.users[0]).to.have.keys('id', 'username', 'online', 'last_seen');
      const second = await h.request('GET', `/api/v1/users?query=${stem}&limit=2&offset=2`, { token: me.token });
      expect(second.body.users.map((u: { username: string }) => u.username)).to.deep.equal([`${stem}.2`]);
      expect(second.body.has_more).to.equal(false);
      const noQuery = await h.request('GET', '/api/v1/users', { token: me.token });
      expect(noQuery.status).to.equal(400);
      expect(noQuery.body.error.field).to.equal('query');
    });

    it('shows last_seen kept by presence', async () => {
      const [me, other] = [await h.user(), await h.user()];
      await h.api.orm.em.fork().execute(`update users set last_seen_at = '2026-01-02T03:04:05Z' where id = ?`, [other.id]);
      const res = await h.request('GET', `/api/v1/users?query=${other.username}`, { token: me.token });
      expect(res.body.users[0]).to.deep.include({ id: other.id, last_seen: '2026-01-02T03:04:05.000Z', online: false });
    });

    it('uses the lower(username) index for the prefix search', async () => {
      // The planner is told scans are expensive so the test shows the index CAN serve the
      // query shape (escaped LIKE prefix + order), whatever the table's size is right now.
      const text = await h.api.orm.em.fork().transactional(async (tx) => {
        await tx.execute('set local enable_seqscan = off');
        const plan = await tx.execute<Array<{ 'QUERY PLAN': string }>>(
          `explain select id from users where lower(username) like 'srch\\_abc%' order by lower(username) limit 21`,
        );
        return plan.map((r) => r['QUERY PLAN']).join('\n');
      });
      expect(text).to.include('users_username_lower_key');
      expect(text).to.match(/Index Cond: .*~>=~/);
    });
  });
});
