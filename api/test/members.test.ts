import { expect } from 'chai';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { SUBJECTS, type MembershipChangedEvent } from '@neonchat/common';
import { testEnvironment, waitFor } from '@neonchat/common/testing';
import { startHarness, storeMessages, type Harness, type TestUser } from './support/api-harness.js';

describe('members and roles @integration', () => {
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

  async function group(owner: TestUser, members: TestUser[], type: 'group' | 'channel' = 'group'): Promise<string> {
    const res = await h.request('POST', '/api/v1/chats', {
      token: owner.token,
      body: { type, name: 'g', member_ids: members.map((m) => m.id) },
    });
    expect(res.status).to.equal(201);
    return res.body.id as string;
  }

  /** Membership events announced for one chat, collected from now on. */
  async function announcements(chatId: string): Promise<MembershipChangedEvent[]> {
    const seen: MembershipChangedEvent[] = [];
    nc.subscribe(SUBJECTS.membership(chatId), { callback: (_e, m) => void seen.push(m.json<MembershipChangedEvent>()) });
    await nc.flush();
    return seen;
  }

  it('adds a member once (idempotent) and announces it', async () => {
    const [owner, newcomer] = [await h.user(), await h.user()];
    const chatId = await group(owner, []);
    const seen = await announcements(chatId);
    const first = await h.request('POST', `/api/v1/chats/${chatId}/members`, { token: owner.token, body: { user_id: newcomer.id } });
    expect(first.status).to.equal(201);
    expect(first.body).to.deep.equal({ chat_id: chatId, user_id: newcomer.id, role: 'member', status: 'active' });
    const again = await h.request('POST', `/api/v1/chats/${chatId}/members`, { token: owner.token, body: { user_id: newcomer.id } });
    expect(again.status).to.equal(200);
    const rows = await h.api.orm.em.fork().execute('select * from chat_members where chat_id = ? and user_id = ?', [chatId, newcomer.id]);
    expect(rows).to.have.length(1);
    // The owner's own announcement from the chat's creation may still be in flight (another
    // connection's buffered publish), so look for the newcomer's.
    const added = () => seen.filter((e) => e.user_id === newcomer.id);
    await waitFor(() => added().length >= 1, { what: 'membership announcement' });
    expect(added()[0]).to.deep.include({ chat_id: chatId, chat_type: 'group', user_id: newcomer.id, role: 'member', status: 'active' });
    const ghost = await h.request('POST', `/api/v1/chats/${chatId}/members`, {
      token: owner.token,
      body: { user_id: '0190a0a0-0000-7000-8000-0000000000aa' },
    });
    expect(ghost.status).to.equal(404);
  });

  it('changes roles (admins only) and always keeps one admin', async () => {
    const [owner, m] = [await h.user(), await h.user()];
    const chatId = await group(owner, [m]);
    const byMember = await h.request('PATCH', `/api/v1/chats/${chatId}/members/${owner.id}`, { token: m.token, body: { role: 'member' } });
    expect(byMember.status).to.equal(403);
    const lastAdmin = await h.request('PATCH', `/api/v1/chats/${chatId}/members/${owner.id}`, {
      token: owner.token,
      body: { role: 'member' },
    });
    expect(lastAdmin.status).to.equal(409);
    const leaveAlone = await h.request('POST', `/api/v1/chats/${chatId}/leave`, { token: owner.token });
    expect(leaveAlone.status).to.equal(409);
    const promote = await h.request('PATCH', `/api/v1/chats/${chatId}/members/${m.id}`, { token: owner.token, body: { role: 'admin' } });
    expect(promote.body.role).to.equal('admin');
    const stepDown = await h.request('PATCH', `/api/v1/chats/${chatId}/members/${owner.id}`, {
      token: owner.token,
      body: { role: 'member' },
    });
    expect(stepDown.status).to.equal(200);
    const badRole = await h.request('PATCH', `/api/v1/chats/${chatId}/members/${owner.id}`, { token: m.token, body: { role: 'king' } });
    expect(badRole.status).to.equal(400);
    expect(badRole.body.error.field).to.equal('role');
  });

  it('two admins demoting each other at once still leave one admin', async () => {
    const [a, b] = [await h.user(), await h.user()];
    const chatId = await group(a, [b]);
    await h.request('PATCH', `/api/v1/chats/${chatId}/members/${b.id}`, { token: a.token, body: { role: 'admin' } });
    const results = await Promise.all([
      h.request('PATCH', `/api/v1/chats/${chatId}/members/${b.id}`, { token: a.token, body: { role: 'member' } }),
      h.request('PATCH', `/api/v1/chats/${chatId}/members/${a.id}`, { token: b.token, body: { role: 'member' } }),
    ]);
    const admins = await h.api.orm.em
      .fork()
      .execute(`select user_id from chat_members where chat_id = ? and role = 'admin' and status = 'active'`, [chatId]);
    expect(admins).to.have.length(1);
    expect(results.map((r) => r.status).sort()).to.deep.equal([200, 403]);
  });

  it('bans, hides the chat from the banned user, and unbans', async () => {
    const [owner, m] = [await h.user(), await h.user()];
    const chatId = await group(owner, [m]);
    const seen = await announcements(chatId);
    const ban = await h.request('PUT', `/api/v1/chats/${chatId}/bans/${m.id}`, { token: owner.token });
    expect(ban.body).to.deep.include({ status: 'banned' });
    await waitFor(() => seen.some((e) => e.user_id === m.id && e.status === 'banned'), { what: 'ban announced' });
    expect((await h.request('GET', `/api/v1/chats/${chatId}/messages`, { token: m.token })).status).to.equal(403);
    const list = await h.request('GET', '/api/v1/chats', { token: m.token });
    expect(list.body.chats.map((c: { id: string }) => c.id)).not.to.include(chatId);
    const readd = await h.request('POST', `/api/v1/chats/${chatId}/members`, { token: owner.token, body: { user_id: m.id } });
    expect(readd.status).to.equal(409);
    const selfBan = await h.request('PUT', `/api/v1/chats/${chatId}/bans/${owner.id}`, { token: owner.token });
    expect(selfBan.status).to.equal(400);

    // Unban readmits: the user is an active member again at once, announced as such.
    const unban = await h.request('DELETE', `/api/v1/chats/${chatId}/bans/${m.id}`, { token: owner.token });
    expect(unban.status).to.equal(200);
    expect(unban.body).to.deep.include({ user_id: m.id, status: 'active', role: 'member' });
    await waitFor(() => seen.some((e) => e.user_id === m.id && e.status === 'active'), { what: 'readmission announced' });
    expect((await h.request('GET', `/api/v1/chats/${chatId}/messages`, { token: m.token })).status).to.equal(200);
    const listed = await h.request('GET', '/api/v1/chats', { token: m.token });
    expect(listed.body.chats.map((c: { id: string }) => c.id)).to.include(chatId);
    const back = await h.request('POST', `/api/v1/chats/${chatId}/members`, { token: owner.token, body: { user_id: m.id } });
    expect(back.status, 'already a member: nothing to add').to.equal(200);
    const again = await h.request('DELETE', `/api/v1/chats/${chatId}/bans/${m.id}`, { token: owner.token });
    expect(again.status).to.equal(200);
    expect(again.body).to.deep.include({ status: 'active' });
    const stranger = await h.user();
    expect((await h.request('DELETE', `/api/v1/chats/${chatId}/bans/${stranger.id}`, { token: owner.token })).status).to.equal(404);
  });

  it('removes members (admins), lets members leave, and refuses both in 1:1 chats', async () => {
    const [owner, m1, m2] = [await h.user(), await h.user(), await h.user()];
    const chatId = await group(owner, [m1, m2]);
    expect((await h.request('DELETE', `/api/v1/chats/${chatId}/members/${m2.id}`, { token: m1.token })).status).to.equal(403);
    const removed = await h.request('DELETE', `/api/v1/chats/${chatId}/members/${m2.id}`, { token: owner.token });
    expect(removed.body).to.deep.include({ user_id: m2.id, status: 'left' });
    expect((await h.request('GET', `/api/v1/chats/${chatId}`, { token: m2.token })).status).to.equal(404);
    const left = await h.request('POST', `/api/v1/chats/${chatId}/leave`, { token: m1.token });
    expect(left.body).to.deep.include({ user_id: m1.id, status: 'left' });
    const gone = await h.request('DELETE', `/api/v1/chats/${chatId}/members/${m1.id}`, { token: owner.token });
    expect(gone.status).to.equal(404);

    const d = await h.request('POST', '/api/v1/chats', { token: owner.token, body: { partner_id: m1.id } });
    expect((await h.request('POST', `/api/v1/chats/${d.body.id}/leave`, { token: owner.token })).status).to.equal(403);
    expect(
      (await h.request('POST', `/api/v1/chats/${d.body.id}/members`, { token: owner.token, body: { user_id: m2.id } })).status,
    ).to.equal(403);
  });

  describe('permission matrix (role × chat type × read / post / manage)', () => {
    type Who = 'admin' | 'member' | 'banned';
    // post: the REST side of posting is editing your own message (sending goes over the
    // gateway, which asks the same decide()); manage: adding a member.
    const expected: Record<'group' | 'channel', Record<Who, { read: number; post: number; manage: number[] }>> = {
      group: {
        admin: { read: 200, post: 200, manage: [201] },
        member: { read: 200, post: 200, manage: [403] },
        banned: { read: 403, post: 403, manage: [403] },
      },
      channel: {
        admin: { read: 200, post: 200, manage: [201] },
        member: { read: 200, post: 403, manage: [403] },
        banned: { read: 403, post: 403, manage: [403] },
      },
    };
    for (const type of ['group', 'channel'] as const)
      for (const who of ['admin', 'member', 'banned'] as const)
        it(`${who} in a ${type}`, async () => {
          const [owner, subject, outsider] = [await h.user(), await h.user(), await h.user()];
          const chatId = await group(owner, [subject], type);
          if (who === 'admin')
            await h.request('PATCH', `/api/v1/chats/${chatId}/members/${subject.id}`, { token: owner.token, body: { role: 'admin' } });
          const [own] = await storeMessages(h.api, chatId, [subject.id], 1, 1);
          if (who === 'banned') await h.request('PUT', `/api/v1/chats/${chatId}/bans/${subject.id}`, { token: owner.token });

          const read = await h.request('GET', `/api/v1/chats/${chatId}/messages`, { token: subject.token });
          const post = await h.request('PATCH', `/api/v1/chats/${chatId}/messages/${own}`, {
            token: subject.token,
            body: { text: 'edited' },
          });
          const manage = await h.request('POST', `/api/v1/chats/${chatId}/members`, {
            token: subject.token,
            body: { user_id: outsider.id },
          });
          const want = expected[type][who];
          expect({ read: read.status, post: post.status }).to.deep.equal({ read: want.read, post: want.post });
          expect(manage.status).to.be.oneOf(want.manage);
        });
  });
});
