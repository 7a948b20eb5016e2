import { expect } from 'chai';
import { uuidv7 } from '@neonchat/common';
import { startHarness, storeMessages, type Harness, type TestUser } from './support/api-harness.js';

const PASSWORD = 'secret-password';

/** Sessions, password change, account deletion and blocks over REST (issue 27), on the real services. */
describe('sessions and accounts @integration', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h.close());

  async function login(user: TestUser, password = PASSWORD, agent = 'test-agent/1.0') {
    const res = await h.request('POST', '/api/v1/auth/login', {
      body: { username: user.username, password },
      headers: { 'user-agent': agent },
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body as { token: string; access_token: string; refresh_token: string; session_id: string; expires_in: number };
  }
  const me = (token: string) => h.request('GET', '/api/v1/me', { token });
  const refresh = (refresh_token: unknown) => h.request('POST', '/api/v1/auth/refresh', { body: { refresh_token } });

  it('login answers an access token (also as `token`) with kid and sid, and a refresh token; refresh rotates it', async () => {
    const user = await h.user();
    const first = await login(user);
    expect(first.token).to.equal(first.access_token);
    expect(first.expires_in).to.equal(900);
    const [header, payload] = first.token
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>);
    expect(header).to.have.property('kid').that.is.a('string');
    expect(payload).to.include({ sid: first.session_id, user_id: user.id });
    const second = await refresh(first.refresh_token);
    expect(second.status).to.equal(200);
    expect(second.body.session_id).to.equal(first.session_id);
    expect(second.body.refresh_token).to.not.equal(first.refresh_token);
    expect((await me(second.body.token)).status).to.equal(200);
  });

  it('a reused (already rotated) refresh token ends the whole family: its tokens and the newest refresh token are refused', async () => {
    const user = await h.user();
    const first = await login(user);
    const second = (await refresh(first.refresh_token)).body;
    const replay = await refresh(first.refresh_token);
    expect(replay.status).to.equal(401);
    expect(replay.body.error.code).to.equal('unauthorized');
    expect((await me(second.token)).status).to.equal(401);
    expect((await me(first.token)).status).to.equal(401);
    expect((await refresh(second.refresh_token)).status).to.equal(401);
    // Another session of the same user is untouched.
    expect((await me((await login(user)).token)).status).to.equal(200);
  });

  it('refuses forged, malformed and hostile refresh tokens with 401/400, never 5xx', async () => {
    expect((await refresh('A'.repeat(43))).status).to.equal(401);
    expect((await refresh('not a token')).status).to.equal(401);
    expect((await refresh('x\u0000y')).status).to.equal(400);
    for (const bad of [1e308, -0, null, ['a'], { a: 1 }, 'A'.repeat(129)]) expect((await refresh(bad)).status, String(bad)).to.equal(400);
    const huge = await h.request('POST', '/api/v1/auth/refresh', { body: JSON.stringify({ refresh_token: 'a'.repeat(1024 * 1024) }) });
    expect(huge.status).to.equal(413);
    const deep = await h.request('POST', '/api/v1/auth/refresh', { body: `${'['.repeat(10000)}${']'.repeat(10000)}` });
    expect(deep.status).to.equal(400);
    const extra = await h.request('POST', '/api/v1/auth/refresh', { body: { refresh_token: 'a', session_id: uuidv7() } });
    expect(extra.status).to.equal(400);
  });

  it('logout ends this session only: its access token and refresh token are refused', async () => {
    const user = await h.user();
    const [a, b] = [await login(user), await login(user)];
    const out = await h.request('POST', '/api/v1/auth/logout', { token: a.token });
    expect(out.status).to.equal(204);
    expect((await me(a.token)).status).to.equal(401);
    expect((await refresh(a.refresh_token)).status).to.equal(401);
    expect((await me(b.token)).status).to.equal(200);
  });

  it("lists my sessions, ends one of mine, and answers 404 for another user's session id (which stays open)", async () => {
    const [alice, bob] = [await h.user(), await h.user()];
    const current = await login(alice, PASSWORD, 'phone');
    const other = await login(alice, PASSWORD, 'laptop\u0000\u0007');
    const bobs = await login(bob);
    const list = await h.request('GET', '/api/v1/me/sessions', { token: current.token });
    expect(list.status).to.equal(200);
    const sessions = list.body.sessions as Array<{ id: string; current: boolean; user_agent: string }>;
    expect(sessions.map((s) => s.id).sort()).to.deep.equal([current.session_id, other.session_id].sort());
    expect(sessions.find((s) => s.current)?.id).to.equal(current.session_id);
    expect(sessions.find((s) => s.id === other.session_id)?.user_agent).to.equal('laptop');

    const foreign = await h.request('DELETE', `/api/v1/me/sessions/${bobs.session_id}`, { token: current.token });
    expect(foreign.status).to.equal(404);
    expect((await me(bobs.token)).status).to.equal(200);
    expect((await h.request('DELETE', `/api/v1/me/sessions/${uuidv7()}`, { token: current.token })).status).to.equal(404);

    const ended = await h.request('DELETE', `/api/v1/me/sessions/${other.session_id.toUpperCase()}`, { token: current.token });
    expect(ended.status).to.equal(204);
    expect((await me(other.token)).status).to.equal(401);
    expect((await h.request('DELETE', `/api/v1/me/sessions/${other.session_id}`, { token: current.token })).status).to.equal(404);
    for (const bad of ['1e309', '-0', 'x%00y', `{${uuidv7()}}`, 'a'.repeat(5000)])
      expect((await h.request('DELETE', `/api/v1/me/sessions/${bad}`, { token: current.token })).status, bad).to.equal(400);
  });

  it('"log out everywhere else" ends every other session and keeps this one', async () => {
    const user = await h.user();
    const [keep, x, y] = [await login(user), await login(user), await login(user)];
    const res = await h.request('POST', '/api/v1/me/sessions/end-others', { token: keep.token });
    expect(res.status).to.equal(200);
    expect(res.body.ended_sessions).to.equal(2);
    expect((await me(x.token)).status).to.equal(401);
    expect((await me(y.token)).status).to.equal(401);
    expect((await refresh(y.refresh_token)).status).to.equal(401);
    expect((await me(keep.token)).status).to.equal(200);
    // A session-less token (minted outside the api) of the same user is cut off too.
    expect((await me(user.token)).status).to.equal(401);
  });

  it('changes the password only with the old one, ending every other session', async () => {
    const user = await h.user();
    const [keep, other] = [await login(user), await login(user)];
    const wrong = await h.request('PUT', '/api/v1/me/password', {
      token: keep.token,
      body: { old_password: 'nope-nope', new_password: 'new-secret-1' },
    });
    expect(wrong.status).to.equal(403);
    expect((await me(other.token)).status).to.equal(200);
    const short = await h.request('PUT', '/api/v1/me/password', { token: keep.token, body: { old_password: PASSWORD, new_password: 'x' } });
    expect(short.status).to.equal(400);
    const ok = await h.request('PUT', '/api/v1/me/password', {
      token: keep.token,
      body: { old_password: PASSWORD, new_password: 'new-secret-1' },
    });
    expect(ok.status).to.equal(200);
    expect(ok.body.ended_sessions).to.equal(1);
    expect((await me(other.token)).status).to.equal(401);
    expect((await me(keep.token)).status).to.equal(200);
    const old = await h.request('POST', '/api/v1/auth/login', { body: { username: user.username, password: PASSWORD } });
    expect(old.status).to.equal(401);
    await login(user, 'new-secret-1');
  });

  it('deletes an account: tokens refused, name freed, out of search, no personal data; its messages still read for the others', async () => {
    const [gone, friend] = [await h.user('gone'), await h.user('friend')];
    const session = await login(gone);
    const chat = await h.request('POST', '/api/v1/chats', { token: friend.token, body: { partner_id: gone.id } });
    const chatId = chat.body.id as string;
    await storeMessages(h.api, chatId, [gone.id, friend.id], 4, 1);

    const wrong = await h.request('DELETE', '/api/v1/me', { token: session.token, body: { password: 'wrong-password' } });
    expect(wrong.status).to.equal(403);
    const res = await h.request('DELETE', '/api/v1/me', { token: session.token, body: { password: PASSWORD } });
    expect(res.status).to.equal(204);

    expect((await me(session.token)).status).to.equal(401);
    expect((await me(gone.token)).status).to.equal(401);
    expect((await refresh(session.refresh_token)).status).to.equal(401);
    const relogin = await h.request('POST', '/api/v1/auth/login', { body: { username: gone.username, password: PASSWORD } });
    expect(relogin.status).to.equal(401);
    const search = await h.request('GET', `/api/v1/users?query=${gone.username}`, { token: friend.token });
    expect(search.body.users).to.deep.equal([]);
    const history = await h.request('GET', `/api/v1/chats/${chatId}/messages`, { token: friend.token });
    expect(history.status).to.equal(200);
    expect(history.body.messages).to.have.length(4);
    expect((history.body.messages as Array<{ sender_id: string }>).filter((m) => m.sender_id === gone.id)).to.have.length(2);
    const chats = await h.request('GET', '/api/v1/chats', { token: friend.token });
    const listed = (chats.body.chats as Array<{ id: string; partner: { username: string } }>).find((c) => c.id === chatId);
    expect(listed?.partner.username).to.equal(`deleted:${gone.id}`);
    const row = (
      await h.api.orm.em.fork().execute('select username, phone, password_hash, deleted_at from users where id = ?', [gone.id])
    )[0];
    expect(row).to.include({ username: `deleted:${gone.id}`, phone: null, password_hash: '' });
    expect(row?.deleted_at).to.not.equal(null);
    // The name is free again, and a new 1:1 chat with the deleted account is refused.
    const again = await h.request('POST', '/api/v1/auth/register', { body: { username: gone.username, password: 'another-1' } });
    expect(again.status).to.equal(201);
    expect((await h.request('POST', '/api/v1/chats', { token: (await h.user()).token, body: { partner_id: gone.id } })).status).to.equal(
      404,
    );
  });

  it('blocks: listed, no new 1:1 chat from the blocked user (403), hidden from their search, groups unaffected, unblock restores', async () => {
    const [alice, mallory, carol] = [await h.user('alice'), await h.user('mallory'), await h.user('carol')];
    const put = await h.request('PUT', `/api/v1/me/blocks/${mallory.id.toUpperCase()}`, { token: alice.token });
    expect(put.status).to.equal(204);
    expect((await h.request('PUT', `/api/v1/me/blocks/${mallory.id}`, { token: alice.token })).status).to.equal(204);
    const list = await h.request('GET', '/api/v1/me/blocks', { token: alice.token });
    expect(list.body.users.map((u: { id: string }) => u.id)).to.deep.equal([mallory.id]);
    expect((await h.request('GET', '/api/v1/me/blocks', { token: mallory.token })).body.users).to.deep.equal([]);

    const open = await h.request('POST', '/api/v1/chats', { token: mallory.token, body: { partner_id: alice.id } });
    expect(open.status).to.equal(403);
    expect(open.body.error.code).to.equal('forbidden');
    const search = await h.request('GET', `/api/v1/users?query=${alice.username}`, { token: mallory.token });
    expect(search.body.users).to.deep.equal([]);
    expect((await h.request('GET', `/api/v1/users?query=${alice.username}`, { token: carol.token })).body.users).to.have.length(1);
    const group = await h.request('POST', '/api/v1/chats', {
      token: mallory.token,
      body: { type: 'group', name: 'g', member_ids: [alice.id, carol.id] },
    });
    expect(group.status).to.equal(201);

    expect((await h.request('DELETE', `/api/v1/me/blocks/${mallory.id}`, { token: alice.token })).status).to.equal(204);
    expect((await h.request('DELETE', `/api/v1/me/blocks/${mallory.id}`, { token: alice.token })).status).to.equal(204);
    expect((await h.request('POST', '/api/v1/chats', { token: mallory.token, body: { partner_id: alice.id } })).status).to.be.oneOf([
      200, 201,
    ]);
  });

  it('a blocked user cannot react over REST in the existing 1:1 chat (403), the blocker can', async () => {
    const [alice, mallory] = [await h.user('alice'), await h.user('mallory')];
    const chatId = (await h.request('POST', '/api/v1/chats', { token: alice.token, body: { partner_id: mallory.id } })).body.id as string;
    const [messageId] = await storeMessages(h.api, chatId, [alice.id], 1, 1);
    expect((await h.request('PUT', `/api/v1/me/blocks/${mallory.id}`, { token: alice.token })).status).to.equal(204);
    const url = `/api/v1/chats/${chatId}/messages/${messageId}/reactions/%F0%9F%91%8D`;
    const refused = await h.request('PUT', url, { token: mallory.token });
    expect(refused.status).to.equal(403);
    expect(refused.body.error.code).to.equal('forbidden');
    expect((await h.request('PUT', url, { token: alice.token })).status).to.be.below(300);
  });

  it('refuses hostile block ids and bodies: self 400, unknown 404, NUL/huge/negative 400, never 5xx', async () => {
    const user = await h.user();
    expect((await h.request('PUT', `/api/v1/me/blocks/${user.id}`, { token: user.token })).status).to.equal(400);
    expect((await h.request('PUT', `/api/v1/me/blocks/${uuidv7()}`, { token: user.token })).status).to.equal(404);
    for (const bad of ['1e309', '-0', 'x%00y', 'a'.repeat(5000)]) {
      expect((await h.request('PUT', `/api/v1/me/blocks/${bad}`, { token: user.token })).status, bad).to.equal(400);
      expect((await h.request('DELETE', `/api/v1/me/blocks/${bad}`, { token: user.token })).status, bad).to.equal(400);
    }
    const big = await h.request('PUT', '/api/v1/me/password', {
      token: user.token,
      body: JSON.stringify({ old_password: 'a'.repeat(1024 * 1024), new_password: 'b' }),
    });
    expect(big.status).to.equal(413);
    const nul = await h.request('DELETE', '/api/v1/me', { token: user.token, body: { password: 'x\u0000' } });
    expect(nul.status).to.be.oneOf([400, 403]);
    expect((await h.request('DELETE', '/api/v1/me', { token: user.token, body: { password: 12 } })).status).to.equal(400);
    expect((await h.request('GET', '/api/v1/me/sessions')).status).to.equal(401);
  });
});

describe('login throttling @integration', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ API_TRUSTED_PROXIES: '127.0.0.1', LOGIN_MAX_BLOCK_S: 4, REGISTER_CONFLICTS_PER_HOUR: 2 });
  });
  after(async () => h.close());

  const attempt = (username: string, password: string, ip: string) =>
    h.request('POST', '/api/v1/auth/login', { body: { username, password }, headers: { 'x-forwarded-for': ip } });

  it('backs off an account after 5 failures from any addresses (429 with Retry-After), bounded, and lets the owner in after it', async () => {
    const user = await h.user();
    for (let i = 0; i < 5; i++) expect((await attempt(user.username, 'wrong', `10.0.1.${i}`)).status).to.equal(401);
    const limited = await attempt(user.username, PASSWORD, '10.0.2.1');
    expect(limited.status).to.equal(429);
    expect(limited.body.error.code).to.equal('rate_limited');
    const wait = Number(limited.headers['retry-after']);
    expect(wait).to.be.within(1, 4);
    // The back-off never passes LOGIN_MAX_BLOCK_S, however many failures pile up.
    await new Promise((r) => setTimeout(r, wait * 1000 + 100));
    for (let i = 0; i < 4; i++) {
      await attempt(user.username, 'wrong', `10.0.3.${i}`);
      const retry = Number((await attempt(user.username, 'wrong', `10.0.3.${i}`)).headers['retry-after'] ?? 0);
      expect(retry).to.be.at.most(4);
    }
    await new Promise((r) => setTimeout(r, 4100));
    expect((await attempt(user.username, PASSWORD, '10.0.4.1')).status).to.equal(200);
  });

  it('backs off an address that tries many accounts', async () => {
    const ip = '10.9.9.9';
    for (let i = 0; i < 5; i++) expect((await attempt(`nobody_${uuidv7().slice(-12)}`, 'wrong', ip)).status).to.equal(401);
    expect((await attempt(`nobody_${uuidv7().slice(-12)}`, 'wrong', ip)).status).to.equal(429);
    expect((await attempt(`nobody_${uuidv7().slice(-12)}`, 'wrong', '10.9.9.10')).status).to.equal(401);
  });

  it('limits registration answers naming a taken name per address: past it every registration is 429', async () => {
    const user = await h.user();
    const register = (username: string, ip: string) =>
      h.request('POST', '/api/v1/auth/register', { body: { username, password: 'secret-1' }, headers: { 'x-forwarded-for': ip } });
    const ip = '10.7.7.7';
    expect((await register(user.username, ip)).status).to.equal(409);
    expect((await register(user.username, ip)).status).to.equal(409);
    const limited = await register(user.username, ip);
    expect(limited.status).to.equal(429);
    expect(Number(limited.headers['retry-after'])).to.be.greaterThan(0);
    // A free name from that address is 429 too: a 429 tells nothing about whether a name is taken.
    expect((await register(`free_${uuidv7().slice(-12)}`, ip)).status).to.equal(429);
    expect((await register(`free_${uuidv7().slice(-12)}`, '10.7.7.8')).status).to.equal(201);
  });
});
