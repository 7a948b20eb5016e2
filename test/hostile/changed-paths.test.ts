/**
 * Hostile input on the paths added or changed by issues 12-15: the `X-Request-Id` header,
 * the history cursors (both at once), unban, and the upgrade's `chat_id` query parameter
 * (now checked after `open`, since the upgrade no longer waits for the database). Every
 * answer is a documented 4xx or an `error` frame, and the services keep serving.
 */
import { expect } from 'chai';
import WebSocket from 'ws';
import { TestSocket } from '@neonchat/common/testing';
import { startSystem, registerAndLogin, type RunningSystem } from '../support/system.js';
import { DEEP, DOCUMENTED_CODES, MIB, groupChat, json, raw } from './support.js';

type User = Awaited<ReturnType<typeof registerAndLogin>>;

describe('hostile input on the paths changed by issues 12-15 @integration', () => {
  let system: RunningSystem;
  let alice: User;
  let bob: User;
  let group: string;
  let ids: string[];

  before(async () => {
    system = await startSystem({ RATE_LIMIT_PER_MINUTE: 100000 });
    [alice, bob] = await Promise.all([registerAndLogin(system.apiUrl), registerAndLogin(system.apiUrl)]);
    group = await groupChat(system.apiUrl, alice.token, 'group', [bob.id]);
    const ws = await TestSocket.open(`${system.wsUrl}?token=${alice.token}`);
    await ws.next((f) => f.type === 'ready');
    ids = [];
    for (let i = 0; i < 3; i += 1) {
      ws.send({ type: 'message', chat_id: group, text: `m${i}`, request_id: `m${i}` });
      ids.push(((await ws.next((f) => f.request_id === `m${i}` && f.type === 'message_sent')).message as { id: string }).id);
    }
    await ws.close();
  });

  after(async () => {
    await system?.stop();
  });

  const auth = () => ({ authorization: `Bearer ${alice.token}` });

  it('X-Request-Id: kept when safe (any case), replaced when hostile, 431 when over the header limit', async () => {
    const upper = await raw('GET', `${system.apiUrl}/me`, { headers: { ...auth(), 'x-request-id': 'LB-ABC.1' } });
    expect(upper.status).to.equal(200);
    expect(upper.headers.get('x-request-id')).to.equal('LB-ABC.1');
    for (const hostile of ['1e309', '-0'.repeat(40), DEEP.slice(0, 5000)]) {
      const answer = await raw('GET', `${system.apiUrl}/me`, { headers: { ...auth(), 'x-request-id': hostile } });
      expect(answer.status).to.equal(200);
      if (hostile.length > 64) expect(answer.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
    }
    const huge = await raw('GET', `${system.apiUrl}/me`, { headers: { ...auth(), 'x-request-id': MIB } }).catch(() => undefined);
    // Node answers 431 (or drops the connection) for headers over its limit: never a 5xx.
    if (huge) expect(huge.status).to.equal(431);
    expect((await raw('GET', `${system.apiUrl}/me`, { headers: auth() })).status).to.equal(200);
  });

  it('history cursors: upper case is the same id, NUL / 1e309 / -0 / both at once are 400', async () => {
    const page = await raw('GET', `${system.apiUrl}/chats/${group}/messages?before_id=${ids[2]!.toUpperCase()}`, { headers: auth() });
    expect(page.status).to.equal(200);
    expect((page.body as { messages: Array<{ id: string }> }).messages.map((m) => m.id)).to.include(ids[0]);
    for (const query of [
      `before_id=${ids[2]!.toUpperCase()}&after_id=${ids[0]!.toUpperCase()}`,
      `before_id=${ids[2]}%00`,
      'after_id=1e309',
      'after_id=-0',
      `limit=1e309`,
      `before_id=${encodeURIComponent(DEEP.slice(0, 2000))}`,
    ]) {
      const answer = await raw('GET', `${system.apiUrl}/chats/${group}/messages?${query}`, { headers: auth() });
      expect(answer.status, query.slice(0, 60)).to.equal(400);
      expect(answer.body.error?.code).to.equal('validation_failed');
    }
    const long = await raw('GET', `${system.apiUrl}/chats/${group}/messages?before_id=${MIB}`, { headers: auth() }).catch(() => undefined);
    if (long) expect(long.status).to.be.oneOf([400, 414, 431]);
  });

  it('ban and unban with upper-case ids act on the member; NUL and 1e309 ids are 400', async () => {
    const path = (chat: string, user: string) => `${system.apiUrl}/chats/${chat}/bans/${user}`;
    const ban = await json('PUT', path(group.toUpperCase(), bob.id.toUpperCase()), {}, alice.token);
    expect(ban.status, JSON.stringify(ban.body)).to.be.oneOf([200, 204]);
    const unban = await raw('DELETE', path(group.toUpperCase(), bob.id.toUpperCase()), { headers: auth() });
    expect(unban.status, JSON.stringify(unban.body)).to.be.oneOf([200, 204]);
    const bobWs = await TestSocket.open(`${system.wsUrl}?token=${bob.token}`);
    await bobWs.next((f) => f.type === 'ready');
    bobWs.send({ type: 'message', chat_id: group, text: 'back', request_id: 'back' });
    expect((await bobWs.next((f) => f.request_id === 'back')).type, 'unbanned: a member again').to.equal('message_sent');
    await bobWs.close();
    for (const bad of [`${bob.id}%00`, '1e309', '-0', encodeURIComponent(DEEP.slice(0, 1000))]) {
      const answer = await raw('DELETE', path(group, bad), { headers: auth() });
      expect(answer.status, bad.slice(0, 40)).to.equal(400);
      expect(DOCUMENTED_CODES.has(answer.body.error?.code ?? '')).to.equal(true);
    }
  });

  it('the upgrade chat_id: upper case opens the chat after ready; NUL, 1e309, -0 and deep JSON are error frames', async () => {
    const upper = await TestSocket.open(`${system.wsUrl}?token=${alice.token}&chat_id=${group.toUpperCase()}`);
    expect((await upper.next(() => true)).type, 'ready first').to.equal('ready');
    expect(await upper.next((f) => f.type === 'history')).to.include({ chat_id: group });
    await upper.close();
    for (const bad of ['%00', '1e309', '-0', encodeURIComponent(DEEP.slice(0, 2000))]) {
      const ws = await TestSocket.open(`${system.wsUrl}?token=${alice.token}&chat_id=${bad}`);
      expect((await ws.next(() => true)).type).to.equal('ready');
      expect(await ws.next((f) => f.type === 'error')).to.include({ code: 'validation_failed' });
      // The socket is still served.
      ws.send({ type: 'ping', request_id: 'p' });
      expect((await ws.next((f) => f.request_id === 'p')).type).to.equal('pong');
      await ws.close();
    }
    // A 1 MiB query is over uWS's header limit: refused or dropped before any upgrade.
    const huge = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${system.wsUrl}?token=${alice.token}&chat_id=${MIB}`, { handshakeTimeout: 5000 });
      ws.once('open', () => (ws.terminate(), resolve(101)));
      ws.once('unexpected-response', (req, res) => (req.destroy(), resolve(res.statusCode ?? 0)));
      ws.once('error', () => resolve(0));
    });
    expect(huge === 0 || (huge >= 400 && huge < 500), `status ${huge}`).to.equal(true);
    const after = await TestSocket.open(`${system.wsUrl}?token=${alice.token}`);
    expect((await after.next(() => true)).type, 'the gateway serves the next socket').to.equal('ready');
    await after.close();
  });
});
