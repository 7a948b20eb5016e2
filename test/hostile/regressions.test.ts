/**
 * One regression test per case of issue 10 ("hostile input"), against the real services.
 */
import { expect } from 'chai';
import WebSocket from 'ws';
import bcrypt from 'bcryptjs';
import { makeDummyHash } from '@neonchat/api';
import { TestSocket, waitFor } from '@neonchat/common/testing';
import { startSystem, http, registerAndLogin, uniqueName, type RunningSystem } from '../support/system.js';
import { DOCUMENTED_CODES, groupChat, json, raw, signedToken, waitOpenAnswer } from './support.js';

type User = Awaited<ReturnType<typeof registerAndLogin>>;

describe('hostile input: regressions of issue 10 @integration', function () {
  this.timeout(60000);
  let system: RunningSystem;
  let alice: User;
  let bob: User;
  let carol: User;
  let direct: string;

  before(async () => {
    system = await startSystem({
      GATEWAY_MAX_FRAME_BYTES: 65536,
      RATE_LIMIT_PER_MINUTE: 100000,
      GATEWAY_RATE_PER_SECOND: 1000,
      GATEWAY_RATE_BURST: 1000,
    });
    [alice, bob, carol] = await Promise.all([
      registerAndLogin(system.apiUrl),
      registerAndLogin(system.apiUrl),
      registerAndLogin(system.apiUrl),
    ]);
    direct = (await http<{ id: string }>('POST', `${system.apiUrl}/chats`, { partner_id: bob.id }, alice.token)).body.id;
  });

  after(async () => {
    await system?.stop();
  });

  async function connect(user: User): Promise<TestSocket> {
    const ws = await TestSocket.open(`${system.wsUrl}?token=${user.token}`);
    await ws.next((f) => f.type === 'ready');
    return ws;
  }

  async function historyTexts(chatId: string, token: string): Promise<string[]> {
    const page = await http<{ messages: Array<{ text: string }> }>(
      'GET',
      `${system.apiUrl}/chats/${chatId}/messages?limit=200`,
      undefined,
      token,
    );
    return page.body.messages.map((m) => m.text);
  }

  describe('one frame kills a gateway', () => {
    it('answers a type nested 10,000 levels deep with unknown_type, and the socket and gateway live on', async () => {
      const ws = await connect(alice);
      const deep = `{"type":${'['.repeat(10000)}${']'.repeat(10000)},"request_id":"deep"}`;
      ws.send(deep);
      const answer = await ws.next((f) => f.request_id === 'deep');
      expect(answer).to.include({ type: 'error', code: 'unknown_type' });
      expect(String(answer.message).length).to.be.below(200);
      ws.send({ type: 'ping', request_id: 'alive' });
      expect(await ws.next((f) => f.type === 'pong' && f.request_id === 'alive')).to.be.an('object');
      expect(system.gateway.isReady()).to.equal(true);
      await ws.close();
    });

    it('refuses deep nesting, __proto__ keys, binary frames and huge values in every field, and keeps serving', async () => {
      const ws = await connect(alice);
      const bad: Array<[string | Buffer, string]> = [
        [`{"type":"message","chat_id":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)},"text":"x","request_id":"n1"}`, 'validation_failed'],
        [`{"__proto__":{"type":"ping"},"request_id":"n2"}`, 'unknown_type'],
        [`{"type":"constructor","request_id":"n3"}`, 'unknown_type'],
        [`{"type":"__proto__","request_id":"n4"}`, 'unknown_type'],
        [`{"type":"ping","type":"message","request_id":"n5"}`, 'validation_failed'],
        [JSON.stringify({ type: 'message', chat_id: direct, text: 'x', request_id: 'r'.repeat(100000) }), 'payload_too_large'],
        [JSON.stringify({ type: 'resume', chat_id: direct, after_seq: -0.5, request_id: 'n6' }), 'validation_failed'],
        [`{"type":"resume","chat_id":"${direct}","after_seq":1e309,"request_id":"n7"}`, 'validation_failed'],
        [JSON.stringify({ type: 'presence', status: 'online', request_id: 'n8', extra: new Array(2000).fill({ a: [1, 2, 3] }) }), 'ok'],
      ];
      for (const [frame, code] of bad) {
        ws.send(frame);
        if (code === 'ok') continue;
        const id = /"request_id":"(n\d)"/.exec(String(frame))?.[1];
        const answer = id ? await ws.next((f) => f.request_id === id) : await ws.waitNew((f) => f.type === 'error');
        expect(answer, String(frame).slice(0, 80)).to.include({ type: 'error', code });
      }
      ws.ws.send(Buffer.from('{"type":"ping","request_id":"bin"}'), { binary: true });
      const binary = await ws.waitNew((f) => f.type === 'error' || f.type === 'pong');
      expect(binary).to.include({ type: 'error', code: 'validation_failed' });
      ws.send({ type: 'ping', request_id: 'after' });
      await ws.next((f) => f.type === 'pong' && f.request_id === 'after');
      await ws.close();
    });
  });

  describe('oversized frames and hostile upgrades', () => {
    it('drops a socket that sends a 1 MiB frame, and the gateway serves the next one', async () => {
      const ws = await connect(alice);
      ws.send(JSON.stringify({ type: 'message', chat_id: direct, text: 'x'.repeat(1 << 20), request_id: 'huge' }));
      expect(await ws.waitClosed()).to.be.oneOf([1006, 1009]);
      const next = await connect(alice);
      next.send({ type: 'ping', request_id: 'next' });
      await next.next((f) => f.type === 'pong');
      await next.close();
    });

    it('answers hostile upgrade parameters with 401 or a validation error frame, never 5xx', async () => {
      const tokens = [
        '',
        'null',
        'a.b.c',
        `${alice.token}.x`,
        'x'.repeat(3000),
        encodeURIComponent('\u0000'),
        signedToken({ user_id: ['x'] }),
      ];
      for (const token of tokens) expect(await TestSocket.refusal(`${system.wsUrl}?token=${token}`), token.slice(0, 20)).to.equal(401);
      for (const authorization of ['Bearer', `Basic ${alice.token}`, `Bearer ${alice.token} ${alice.token}`]) {
        expect(await TestSocket.refusal(system.wsUrl, { headers: { authorization } }), authorization.slice(0, 20)).to.equal(401);
      }
      for (const chatId of [`urn:uuid:${direct}`, '%00', 'x'.repeat(500), `{${direct}}`]) {
        const ws = await TestSocket.open(`${system.wsUrl}?token=${alice.token}&chat_id=${encodeURIComponent(chatId)}`);
        expect((await ws.next(() => true)).type, 'ready first').to.equal('ready');
        expect(await ws.next((f) => f.type === 'error')).to.include({ code: 'validation_failed' });
        await ws.close();
      }
      const upper = await TestSocket.open(`${system.wsUrl}?token=${alice.token}&chat_id=${direct.toUpperCase()}`);
      expect(await upper.next((f) => f.type === 'history')).to.include({ chat_id: direct });
      await upper.close();
    });
  });

  describe('upper-case ids', () => {
    it('delivers and stores a post with an upper-case chat id, under the lower-case id', async () => {
      const aliceWs = await connect(alice);
      const bobWs = await connect(bob);
      aliceWs.send({ type: 'message', chat_id: direct.toUpperCase(), text: 'shouted id', request_id: 'upper-1' });
      const sent = await aliceWs.next((f) => f.type === 'message_sent' && f.request_id === 'upper-1');
      expect((sent.message as { chat_id: string }).chat_id).to.equal(direct);
      const got = await bobWs.next((f) => f.type === 'new_message' && (f.message as { text: string }).text === 'shouted id');
      expect((got.message as { chat_id: string }).chat_id).to.equal(direct);
      await waitFor(async () => (await historyTexts(direct, bob.token)).includes('shouted id'), { what: 'stored' });
      await Promise.all([aliceWs.close(), bobWs.close()]);
    });

    it('a ban sent with upper-case ids reaches a socket that used the chat id in upper case: no more reading or posting', async () => {
      const chat = await groupChat(system.apiUrl, alice.token, 'group', [bob.id, carol.id]);
      const bobWs = await connect(bob);
      bobWs.send({ type: 'open', chat_id: chat.toUpperCase(), request_id: 'open-upper' });
      expect(await bobWs.next((f) => f.request_id === 'open-upper')).to.include({ type: 'history', chat_id: chat });
      bobWs.send({ type: 'message', chat_id: chat.toUpperCase(), text: 'before the ban', request_id: 'b1' });
      await bobWs.next((f) => f.type === 'message_sent' && f.request_id === 'b1');

      const ban = await http('PUT', `${system.apiUrl}/chats/${chat.toUpperCase()}/bans/${bob.id.toUpperCase()}`, undefined, alice.token);
      expect(ban.status).to.equal(200);
      expect(ban.body).to.include({ chat_id: chat, user_id: bob.id, status: 'banned' });
      await waitOpenAnswer(bobWs, chat.toUpperCase(), 'forbidden');
      await waitOpenAnswer(bobWs, chat, 'forbidden');

      bobWs.send({ type: 'message', chat_id: chat.toUpperCase(), text: 'after the ban', request_id: 'b2' });
      expect(await bobWs.next((f) => f.request_id === 'b2')).to.include({ type: 'error', code: 'forbidden' });
      const aliceWs = await connect(alice);
      aliceWs.send({ type: 'message', chat_id: chat, text: 'bob must not read this', request_id: 'a1' });
      await aliceWs.next((f) => f.type === 'message_sent' && f.request_id === 'a1');
      const carolWs = await connect(carol);
      carolWs.send({ type: 'ping', request_id: 'sync' });
      await carolWs.next((f) => f.type === 'pong');
      aliceWs.send({ type: 'message', chat_id: chat, text: 'marker', request_id: 'a2' });
      await aliceWs.next((f) => f.type === 'message_sent' && f.request_id === 'a2');
      await carolWs.next((f) => f.type === 'new_message' && (f.message as { text: string }).text === 'marker');
      bobWs.send({ type: 'ping', request_id: 'bob-sync' });
      await bobWs.next((f) => f.request_id === 'bob-sync');
      expect(bobWs.ofType('new_message').map((f) => (f.message as { text: string }).text)).to.not.include('bob must not read this');
      expect(await historyTexts(chat, alice.token)).to.not.include('after the ban');
      await Promise.all([aliceWs.close(), bobWs.close(), carolWs.close()]);
    });

    it('a removal with an upper-case chat id reaches the open socket', async () => {
      const chat = await groupChat(system.apiUrl, alice.token, 'group', [bob.id]);
      const bobWs = await connect(bob);
      expect((await bobWs.next((f) => f.type === 'ready')).chat_ids).to.include(chat);
      const removal = await http('DELETE', `${system.apiUrl}/chats/${chat.toUpperCase()}/members/${bob.id}`, undefined, alice.token);
      expect(removal.status).to.equal(200);
      await waitOpenAnswer(bobWs, chat.toUpperCase(), 'not_found');
      bobWs.send({ type: 'message', chat_id: chat.toUpperCase(), text: 'removed', request_id: 'rm1' });
      expect((await bobWs.next((f) => f.request_id === 'rm1')).type).to.equal('error');
      await bobWs.close();
    });

    it('a demoted channel admin can no longer post, whatever the case of the ids', async () => {
      const channel = await groupChat(system.apiUrl, alice.token, 'channel', [bob.id]);
      const promote = await json(
        'PATCH',
        `${system.apiUrl}/chats/${channel}/members/${bob.id.toUpperCase()}`,
        { role: 'admin' },
        alice.token,
      );
      expect(promote.status).to.equal(200);
      const bobWs = await connect(bob);
      bobWs.send({ type: 'message', chat_id: channel.toUpperCase(), text: 'as admin', request_id: 'd1' });
      await bobWs.next((f) => f.type === 'message_sent' && f.request_id === 'd1');
      const demote = await json(
        'PATCH',
        `${system.apiUrl}/chats/${channel.toUpperCase()}/members/${bob.id.toUpperCase()}`,
        { role: 'member' },
        alice.token,
      );
      expect(demote.status).to.equal(200);
      await waitFor(
        async () => {
          const id = `d-${Date.now()}-${Math.random()}`;
          bobWs.send({ type: 'typing', chat_id: channel.toUpperCase(), is_typing: false });
          bobWs.send({ type: 'message', chat_id: channel.toUpperCase(), text: 'probe', request_id: id.slice(0, 60) });
          const answer = await bobWs.next((f) => f.request_id === id.slice(0, 60));
          return answer.type === 'error' && answer.code === 'forbidden';
        },
        { what: 'demotion applied', intervalMs: 50 },
      );
      await bobWs.close();
    });

    it('refuses urn:uuid:, braces and other spellings as 400 validation_failed everywhere', async () => {
      for (const id of [`urn:uuid:${direct}`, `{${direct}}`, direct.replaceAll('-', ''), `${direct} `, `${direct}0`]) {
        const rest = await raw('GET', `${system.apiUrl}/chats/${encodeURIComponent(id)}`, {
          headers: { authorization: `Bearer ${alice.token}` },
        });
        expect(rest.status, id).to.equal(400);
        expect(rest.body.error?.code).to.equal('validation_failed');
        const body = await json('POST', `${system.apiUrl}/chats`, { partner_id: id }, alice.token);
        expect(body.status, id).to.equal(400);
      }
      const ws = await connect(alice);
      ws.send({ type: 'open', chat_id: `urn:uuid:${direct}`, request_id: 'urn' });
      expect(await ws.next((f) => f.request_id === 'urn')).to.include({ type: 'error', code: 'validation_failed' });
      await ws.close();
    });
  });

  describe('acked, then dropped', () => {
    it('refuses U+0000 and lone surrogates in a message (never acked), and in a REST edit (400, unchanged)', async () => {
      const ws = await connect(alice);
      for (const [text, id] of [
        ['nul \u0000 inside', 'nul-1'],
        ['lone \ud800 surrogate', 'sur-1'],
        ['lone \udc00 low', 'sur-2'],
      ] as const) {
        ws.send({ type: 'message', chat_id: direct, text, request_id: id });
        expect(await ws.next((f) => f.request_id === id), id).to.include({ type: 'error', code: 'validation_failed' });
      }
      ws.send({ type: 'message', chat_id: direct, text: 'emoji 😀 pair is fine', request_id: 'pair' });
      const sent = await ws.next((f) => f.request_id === 'pair');
      expect(sent.type).to.equal('message_sent');
      const messageId = (sent.message as { id: string }).id;
      await waitFor(async () => (await historyTexts(direct, alice.token)).includes('emoji 😀 pair is fine'), { what: 'stored' });

      const edit = await json('PATCH', `${system.apiUrl}/chats/${direct}/messages/${messageId}`, { text: 'edited \u0000' }, alice.token);
      expect(edit.status).to.equal(400);
      expect(edit.body.error).to.include({ code: 'validation_failed', field: 'text' });
      const editUpper = await json(
        'PATCH',
        `${system.apiUrl}/chats/${direct.toUpperCase()}/messages/${messageId.toUpperCase()}`,
        { text: 'edited' },
        alice.token,
      );
      expect(editUpper.status).to.equal(200);
      await ws.close();
    });

    it('stores a request_id reused in another chat as a new message', async () => {
      const other = (await http<{ id: string }>('POST', `${system.apiUrl}/chats`, { partner_id: carol.id }, alice.token)).body.id;
      const ws = await connect(alice);
      ws.send({ type: 'message', chat_id: direct, text: 'first chat', request_id: 'same-id' });
      const first = await ws.next((f) => f.type === 'message_sent' && f.request_id === 'same-id');
      ws.send({ type: 'message', chat_id: other, text: 'second chat', request_id: 'same-id' });
      const second = await ws.waitNew((f) => f.type === 'message_sent' && f.request_id === 'same-id');
      expect((second.message as { chat_id: string; text: string }).chat_id).to.equal(other);
      expect((second.message as { text: string }).text).to.equal('second chat');
      expect((second.message as { id: string }).id).to.not.equal((first.message as { id: string }).id);
      await waitFor(async () => (await historyTexts(other, alice.token)).includes('second chat'), { what: 'second stored' });
      await ws.close();
    });
  });

  describe('500s and wrong answers from bad input', () => {
    it('answers NUL in login, register, search and group names with 400 validation_failed', async () => {
      const cases: Array<[string, string, unknown]> = [
        ['POST', '/auth/login', { username: 'a\u0000b', password: 'secret-password' }],
        ['POST', '/auth/login', { username: alice.username, password: 'pass\u0000word' }],
        ['POST', '/auth/register', { username: uniqueName(), password: 'secret\u0000password' }],
        ['POST', '/chats', { type: 'group', name: 'nul\u0000name' }],
        ['PATCH', `/chats/${direct}`, { name: 'x\ud800' }],
      ];
      for (const [method, path, body] of cases) {
        const res = await json(method, `${system.apiUrl}${path}`, body, alice.token);
        expect(res.status, `${method} ${path}`).to.equal(400);
        expect(res.body.error?.code).to.equal('validation_failed');
      }
      const search = await raw('GET', `${system.apiUrl}/users?query=a%00b`, { headers: { authorization: `Bearer ${alice.token}` } });
      expect(search.status).to.equal(400);
      expect(search.body.error?.code).to.equal('validation_failed');
    });

    it('bounds limit and offset: Infinity, 1e309, huge and negative values are 400', async () => {
      const auth = { authorization: `Bearer ${alice.token}` };
      for (const query of [
        'limit=Infinity',
        'limit=1e309',
        'offset=Infinity',
        'offset=1e309',
        'offset=99999999999',
        'limit=-1',
        'offset=-Infinity',
        'limit=NaN',
        'limit=1.5',
      ]) {
        for (const path of ['/chats', '/users?query=a&', `/chats/${direct}/messages`]) {
          const url = `${system.apiUrl}${path}${path.includes('?') ? '' : '?'}${query}`;
          const res = await raw('GET', url, { headers: auth });
          expect(res.status, url).to.equal(400);
          expect(res.body.error?.code).to.equal('validation_failed');
        }
      }
    });

    it('answers a valid-signature token with a malformed or unknown user_id with 401 (REST and upgrade)', async () => {
      for (const claims of [
        { user_id: 'not-a-uuid' },
        { user_id: `urn:uuid:${alice.id}` },
        { user_id: '00000000-0000-4000-8000-000000000000' },
        { user_id: 42 },
      ]) {
        const token = signedToken(claims);
        const me = await raw('GET', `${system.apiUrl}/me`, { headers: { authorization: `Bearer ${token}` } });
        expect(me.status, JSON.stringify(claims)).to.equal(401);
        expect(me.body.error?.code).to.equal('unauthorized');
        const chats = await json('POST', `${system.apiUrl}/chats`, { partner_id: bob.id }, token);
        expect(chats.status).to.equal(401);
        // Refused at the upgrade, like REST: a malformed id at once, a well-formed one that
        // names nobody once the gateway read that no such user exists.
        expect(await TestSocket.refusal(`${system.wsUrl}?token=${token}`)).to.equal(401);
      }
      const upper = signedToken({ user_id: alice.id.toUpperCase(), username: alice.username });
      const me = await raw('GET', `${system.apiUrl}/me`, { headers: { authorization: `Bearer ${upper}` } });
      expect(me.status).to.equal(200);
      expect(me.body.id).to.equal(alice.id);
    });

    it('answers after_seq beyond 2^53 and a request_id with a newline with validation_failed, not unavailable', async () => {
      const ws = await connect(alice);
      ws.send(`{"type":"resume","chat_id":"${direct}","after_seq":9007199254740993,"request_id":"big-seq"}`);
      expect(await ws.next((f) => f.request_id === 'big-seq')).to.include({ type: 'error', code: 'validation_failed' });
      for (const requestId of ['line\nbreak', 'tab\there', 'nul\u0000', 'space here', '']) {
        ws.send({ type: 'message', chat_id: direct, text: 'x', request_id: requestId });
        const answer = await ws.waitNew((f) => f.type === 'error' || f.type === 'message_sent');
        expect(answer, JSON.stringify(requestId)).to.include({ type: 'error', code: 'validation_failed' });
        expect(answer, 'a bad request_id is not echoed').to.not.have.property('request_id');
      }
      await ws.close();
    });

    it('answers odd headers, content types and bodies with documented 4xx codes', async () => {
      const url = `${system.apiUrl}/chats`;
      const variants: Array<Record<string, string>> = [
        { authorization: 'Bearer' },
        { authorization: 'Bearer  ' },
        { authorization: `Basic ${alice.token}` },
        { authorization: `Bearer ${alice.token} extra` },
        { authorization: `Bearer ${alice.token.slice(0, -2)}` },
        { authorization: `Bearer ${'x'.repeat(8000)}` },
        { authorization: `bearer ${alice.token}`, 'content-type': 'text/plain' },
        { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json; charset=utf-16' },
        { authorization: `Bearer ${alice.token}`, 'content-type': 'application/x-www-form-urlencoded' },
      ];
      for (const headers of variants) {
        const res = await raw('POST', url, { headers, body: '{"partner_id":"x"}' });
        expect(res.status, JSON.stringify(headers).slice(0, 80)).to.be.within(400, 499);
        expect(DOCUMENTED_CODES.has(res.body.error?.code ?? ''), JSON.stringify(res.body)).to.equal(true);
      }
      for (const body of [
        '{',
        '{"partner_id":',
        '[]',
        'null',
        '{"__proto__":{"x":1}}',
        '{"constructor":{"prototype":{}}}',
        `{"a":${'['.repeat(20000)}${']'.repeat(20000)}}`,
      ]) {
        const res = await raw('POST', url, {
          headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
          body,
        });
        expect(res.status, body.slice(0, 40)).to.equal(400);
        expect(res.body.error?.code).to.equal('validation_failed');
      }
      const huge = await raw('POST', url, {
        headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'x'.repeat(1 << 20) }),
      });
      expect(huge.status).to.equal(413);
      expect(huge.body.error?.code).to.equal('payload_too_large');
    });

    it('names the right field for a duplicate username and a duplicate phone', async () => {
      const phone = `+1555${Date.now().toString().slice(-9)}`;
      const name = uniqueName();
      expect(
        (await json('POST', `${system.apiUrl}/auth/register`, { username: name, password: 'secret-password', phone })).status,
      ).to.equal(201);
      const dupName = await json('POST', `${system.apiUrl}/auth/register`, { username: name.toUpperCase(), password: 'secret-password' });
      expect(dupName.status).to.equal(409);
      expect(dupName.body.error).to.include({ code: 'conflict', field: 'username' });
      const dupPhone = await json('POST', `${system.apiUrl}/auth/register`, { username: uniqueName(), password: 'secret-password', phone });
      expect(dupPhone.status).to.equal(409);
      expect(dupPhone.body.error).to.include({ code: 'conflict', field: 'phone' });
    });
  });

  describe('account probing', () => {
    it('compares an unknown user with a dummy hash at the configured cost', async () => {
      for (const cost of [4, 6]) expect(bcrypt.getRounds(await makeDummyHash(cost))).to.equal(cost);
      const unknown = await json('POST', `${system.apiUrl}/auth/login`, { username: uniqueName('nobody'), password: 'secret-password' });
      const wrong = await json('POST', `${system.apiUrl}/auth/login`, { username: alice.username, password: 'wrong-password' });
      expect([unknown.status, wrong.status]).to.deep.equal([401, 401]);
      expect(unknown.body.error).to.deep.equal(wrong.body.error);
    });
  });

  describe('ready is first', () => {
    it('sends ready before any other frame while the chat is busy and the client sends before ready', async () => {
      const sender = await connect(bob);
      let sending = true;
      let n = 0;
      const flood = (async () => {
        while (sending) {
          sender.send({ type: 'message', chat_id: direct, text: `busy ${n}`, request_id: `busy-${(n += 1)}` });
          await sender.next((f) => f.type === 'message_sent' && f.request_id === `busy-${n}`);
        }
      })();
      for (let i = 0; i < 10; i += 1) {
        const ws = new WebSocket(`${system.wsUrl}?token=${alice.token}`);
        const frames: Array<{ type: string }> = [];
        ws.on('message', (data) => frames.push(JSON.parse(String(data)) as { type: string }));
        await new Promise<void>((resolve, reject) => {
          ws.once('open', () => {
            // Before `ready` has arrived: these must be answered only after it.
            ws.send(JSON.stringify({ type: 'ping', request_id: 'early' }));
            ws.send('{not json');
            resolve();
          });
          ws.once('error', reject);
        });
        await waitFor(() => frames.some((f) => f.type === 'pong'), { what: 'pong' });
        expect(frames[0]?.type, JSON.stringify(frames.slice(0, 3))).to.equal('ready');
        ws.close();
      }
      sending = false;
      await flood;
      await sender.close();
    });
  });
});
