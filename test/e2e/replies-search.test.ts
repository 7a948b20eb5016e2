import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { PersisterEnv } from '@neonchat/common';
import { TestSocket, testServiceConfig, waitFor } from '@neonchat/common/testing';
import { createPersister } from '@neonchat/persister';
import { startSystem, http, registerAndLogin, type RunningSystem, createGroup } from '../support/system.js';

type User = { id: string; username: string; token: string };
type Preview = { id: string; sender_id: string; text: string; deleted: boolean; attachments_count: number };
type Msg = {
  id: string;
  seq: number;
  text: string;
  sender_id: string;
  reply_to?: Preview | null;
  reply_count?: number;
  mentions?: string[];
  forwarded_from?: { message_id: string; sender_id: string; chat_id?: string; sent_at: string };
};
type Hit = { message_id: string; chat_id: string; seq: number; snippet: string };

describe('replies, mentions, forwards and search, end to end @integration', () => {
  let system: RunningSystem;
  const sockets: TestSocket[] = [];

  before(async () => {
    system = await startSystem();
  });

  after(async () => {
    for (const ws of sockets) ws.close();
    await system?.stop();
  });

  async function socketOf(user: User): Promise<TestSocket> {
    const ws = await TestSocket.open(`${system.wsUrl}?token=${user.token}`);
    sockets.push(ws);
    await ws.next((f) => f.type === 'ready');
    return ws;
  }

  const group = (owner: User, members: User[]): Promise<string> => createGroup(system.apiUrl, owner, members);

  async function history(
    chatId: string,
    token: string,
    query = '',
  ): Promise<{ messages: Msg[]; has_previous: boolean; has_next: boolean }> {
    const res = await http<{ messages: Msg[]; has_previous: boolean; has_next: boolean }>(
      'GET',
      `${system.apiUrl}/chats/${chatId}/messages${query}`,
      undefined,
      token,
    );
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body;
  }

  async function send(ws: TestSocket, chatId: string, text: string, extra: Record<string, unknown> = {}): Promise<Msg> {
    const requestId = `m-${randomUUID()}`;
    ws.send({ type: 'message', chat_id: chatId, text, request_id: requestId, ...extra });
    const answer = await ws.next((f) => (f.type === 'message_sent' || f.type === 'error') && f.request_id === requestId);
    if (answer.type === 'error') throw new Error(`refused: ${answer.code as string} ${answer.message as string}`);
    return answer.message as Msg;
  }

  async function refusal(ws: TestSocket, frame: Record<string, unknown>): Promise<{ code: string; message: string }> {
    const requestId = `bad-${randomUUID()}`;
    ws.send({ ...frame, request_id: requestId });
    const answer = await ws.next((f) => (f.type === 'message_sent' || f.type === 'error') && f.request_id === requestId);
    expect(answer.type, JSON.stringify(answer)).to.equal('error');
    return answer as unknown as { code: string; message: string };
  }

  async function persisted(chatId: string, token: string, id: string): Promise<Msg> {
    let found: Msg | undefined;
    await waitFor(
      async () => {
        found = (await history(chatId, token, '?limit=200')).messages.find((m) => m.id === id);
        return found !== undefined;
      },
      { what: 'message persisted' },
    );
    return found!;
  }

  /** The status of a request whose answer may have no body (204). */
  async function statusOf(method: string, url: string, token: string, body?: unknown): Promise<number> {
    const res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return res.status;
  }

  async function search(token: string, query: string): Promise<{ status: number; hits: Hit[]; body: Record<string, unknown> }> {
    const res = await http<{ hits: Hit[] }>('GET', `${system.apiUrl}/search/messages?${query}`, undefined, token);
    return { status: res.status, hits: res.body.hits ?? [], body: res.body as unknown as Record<string, unknown> };
  }

  it('replies carry a preview live and in history that follows edits and deletes; replies page and count', async () => {
    const [alice, bob] = [await registerAndLogin(system.apiUrl), await registerAndLogin(system.apiUrl)];
    const chatId = await group(alice, [bob]);
    const [aliceWs, bobWs] = [await socketOf(alice), await socketOf(bob)];
    const original = await send(aliceWs, chatId, `original ${'x'.repeat(150)}`);
    await persisted(chatId, alice.token, original.id);

    const reply = await send(bobWs, chatId, 'an answer', { reply_to: original.id.toUpperCase() });
    const preview = { id: original.id, sender_id: alice.id, text: `original ${'x'.repeat(91)}`, deleted: false, attachments_count: 0 };
    expect(reply.reply_to).to.deep.equal(preview);
    const live = await aliceWs.next((f) => f.type === 'new_message' && (f.message as Msg).id === reply.id);
    expect((live.message as Msg).reply_to).to.deep.equal(preview);

    const second = await send(aliceWs, chatId, 'a second answer', { reply_to: original.id });
    await persisted(chatId, alice.token, second.id);
    const stored = await persisted(chatId, alice.token, reply.id);
    expect(stored.reply_to).to.deep.equal(preview);
    expect((await persisted(chatId, alice.token, original.id)).reply_count).to.equal(2);

    const replies = await http<{ messages: Msg[]; has_next: boolean }>(
      'GET',
      `${system.apiUrl}/chats/${chatId}/messages/${original.id}/replies?limit=1`,
      undefined,
      bob.token,
    );
    expect(replies.status).to.equal(200);
    expect(replies.body.messages.map((m) => m.id)).to.deep.equal([reply.id]);
    expect(replies.body.has_next).to.equal(true);
    const rest = await http<{ messages: Msg[]; has_next: boolean }>(
      'GET',
      `${system.apiUrl}/chats/${chatId}/messages/${original.id}/replies?after_seq=${replies.body.messages[0]!.seq}`,
      undefined,
      bob.token,
    );
    expect(rest.body.messages.map((m) => m.id)).to.deep.equal([second.id]);
    expect(rest.body.has_next).to.equal(false);

    // An edit of the original shows in the replies' history; a delete says "deleted".
    const edit = await http('PATCH', `${system.apiUrl}/chats/${chatId}/messages/${original.id}`, { text: 'edited original' }, alice.token);
    expect(edit.status).to.equal(200);
    await waitFor(async () => (await persisted(chatId, bob.token, reply.id)).reply_to?.text === 'edited original', {
      what: 'edit in preview',
    });
    expect(await statusOf('DELETE', `${system.apiUrl}/chats/${chatId}/messages/${original.id}`, alice.token)).to.equal(204);
    await waitFor(async () => (await persisted(chatId, bob.token, reply.id)).reply_to?.deleted === true, { what: 'delete in preview' });
    expect((await persisted(chatId, bob.token, reply.id)).reply_to).to.deep.equal({ ...preview, text: '', deleted: true });

    // A reply to the deleted message is taken, and says what it answers is deleted.
    const late = await send(bobWs, chatId, 'too late', { reply_to: original.id });
    expect(late.reply_to).to.deep.equal({ ...preview, text: '', deleted: true });

    // Open shows the preview too.
    bobWs.send({ type: 'open', chat_id: chatId, request_id: 'open-1' });
    const opened = await bobWs.next((f) => f.type === 'history' && f.chat_id === chatId);
    const inOpen = (opened.messages as Msg[]).find((m) => m.id === reply.id);
    expect(inOpen?.reply_to).to.deep.equal({ ...preview, text: '', deleted: true });
  });

  it('refuses a reply_to of another chat, of no message, or not a uuid, with error frames', async () => {
    const [alice, bob] = [await registerAndLogin(system.apiUrl), await registerAndLogin(system.apiUrl)];
    const [chatA, chatB] = [await group(alice, [bob]), await group(alice, [bob])];
    const ws = await socketOf(alice);
    const elsewhere = await send(ws, chatB, 'in another chat');
    await persisted(chatB, alice.token, elsewhere.id);
    const frame = { type: 'message', chat_id: chatA, text: 'hi' };
    expect((await refusal(ws, { ...frame, reply_to: elsewhere.id })).code).to.equal('not_found');
    expect((await refusal(ws, { ...frame, reply_to: randomUUID() })).code).to.equal('not_found');
    for (const bad of ['nul\u0000', `urn:uuid:${randomUUID()}`, 1e300, -0, null, { id: elsewhere.id }, 'A'.repeat(36)]) {
      expect((await refusal(ws, { ...frame, reply_to: bad })).code, String(bad).slice(0, 40)).to.equal('validation_failed');
    }
    expect((await history(chatA, alice.token)).messages).to.deep.equal([]);
    // A 1 MiB value is past uWS's payload limit, as for any frame: the socket is dropped, nothing stored.
    ws.send({ ...frame, reply_to: 'x'.repeat(1 << 20), request_id: 'huge' });
    expect(await ws.waitClosed()).to.be.oneOf([1006, 1009]);
    expect((await history(chatA, alice.token)).messages).to.deep.equal([]);
  });

  it('mentions: members by @username are stored, counted in the chat list until read; others are plain text', async () => {
    const [alice, bob, carol] = [
      await registerAndLogin(system.apiUrl),
      await registerAndLogin(system.apiUrl),
      await registerAndLogin(system.apiUrl),
    ];
    const chatId = await group(alice, [bob]);
    const ws = await socketOf(alice);
    const sent = await send(
      ws,
      chatId,
      `hi @${bob.username.toUpperCase()}, @${carol.username} and @${alice.username}; mail a@${bob.username}`,
    );
    expect(sent.mentions).to.deep.equal([bob.id]);
    const plain = await send(ws, chatId, 'no one here');
    expect(plain).to.not.have.property('mentions');
    await persisted(chatId, bob.token, plain.id);
    const list = async (user: User) => {
      const res = await http<{ chats: Array<{ id: string; unread_count: number; mention_count: number }> }>(
        'GET',
        `${system.apiUrl}/chats`,
        undefined,
        user.token,
      );
      return res.body.chats.find((c) => c.id === chatId)!;
    };
    expect(await list(bob)).to.include({ unread_count: 2, mention_count: 1 });
    expect(await list(alice)).to.include({ mention_count: 0 });
    expect((await persisted(chatId, bob.token, sent.id)).mentions).to.deep.equal([bob.id]);
    const read = await http('POST', `${system.apiUrl}/chats/${chatId}/read`, { message_id: sent.id }, bob.token);
    expect(read.status).to.equal(200);
    expect(await list(bob)).to.include({ unread_count: 1, mention_count: 0 });
  });

  it('forwards into a chat the forwarder can post in, naming the origin chat only to those who can read it', async () => {
    const [alice, bob, dave] = [
      await registerAndLogin(system.apiUrl),
      await registerAndLogin(system.apiUrl),
      await registerAndLogin(system.apiUrl),
    ];
    const source = await group(alice, [bob]);
    const toDave = await group(bob, [dave]);
    const daveOnly = await group(dave, []);
    const ws = await socketOf(alice);
    const [one, two] = [await send(ws, source, 'first to forward'), await send(ws, source, 'second to forward')];
    await persisted(source, bob.token, two.id);
    const body = { from_chat_id: source, message_ids: [two.id, one.id], request_id: 'fw-1' };
    const fw = await http<{ messages: Msg[] }>('POST', `${system.apiUrl}/chats/${toDave}/forward`, body, bob.token);
    expect(fw.status, JSON.stringify(fw.body)).to.equal(200);
    expect(fw.body.messages.map((m) => m.text)).to.deep.equal(['first to forward', 'second to forward']);
    expect(fw.body.messages[0]!.forwarded_from).to.deep.equal({
      message_id: one.id,
      sender_id: alice.id,
      chat_id: source,
      sent_at: (one as unknown as { created_at: string }).created_at,
    });
    expect(fw.body.messages[0]!.sender_id).to.equal(bob.id);
    // A retry stores nothing twice.
    const again = await http<{ messages: Msg[] }>('POST', `${system.apiUrl}/chats/${toDave}/forward`, body, bob.token);
    expect(again.body.messages.map((m) => m.id)).to.deep.equal(fw.body.messages.map((m) => m.id));
    const copy = await persisted(toDave, dave.token, fw.body.messages[0]!.id);
    expect(copy.forwarded_from?.chat_id).to.equal(source);

    // Dave cannot read the source: forwarding the copy on keeps the first origin without its chat.
    const onward = await http<{ messages: Msg[] }>(
      'POST',
      `${system.apiUrl}/chats/${daveOnly}/forward`,
      { from_chat_id: toDave, message_ids: [copy.id], request_id: 'fw-2' },
      dave.token,
    );
    expect(onward.status).to.equal(200);
    expect(onward.body.messages[0]!.forwarded_from).to.deep.equal({
      message_id: one.id,
      sender_id: alice.id,
      sent_at: copy.forwarded_from!.sent_at,
    });

    // Not readable source, not postable target, unknown message, hostile bodies: 4xx.
    const tries: Array<[string, unknown, number]> = [
      [source, { from_chat_id: toDave, message_ids: [copy.id], request_id: 'x' }, 404],
      [toDave, { from_chat_id: source, message_ids: [one.id], request_id: 'x' }, 404],
      [daveOnly, { from_chat_id: toDave, message_ids: [randomUUID()], request_id: 'x' }, 404],
      [daveOnly, { from_chat_id: toDave, message_ids: [], request_id: 'x' }, 400],
      [daveOnly, { from_chat_id: toDave, message_ids: Array.from({ length: 21 }, () => randomUUID()), request_id: 'x' }, 400],
      [daveOnly, { from_chat_id: toDave, message_ids: [copy.id], request_id: 'a\u0000' }, 400],
      [daveOnly, { from_chat_id: 'nope', message_ids: [copy.id], request_id: 'x' }, 400],
    ];
    for (const [target, bad, status] of tries) {
      const res = await http('POST', `${system.apiUrl}/chats/${target}/forward`, bad, dave.token);
      expect(res.status, JSON.stringify(bad).slice(0, 80)).to.equal(status);
    }
  });

  it('search: stems Russian and English, prefixes the last word, and only what the caller can read now', async () => {
    const [alice, bob] = [await registerAndLogin(system.apiUrl), await registerAndLogin(system.apiUrl)];
    const [stays, leaves, banned, removed] = [
      await group(alice, [bob]),
      await group(alice, [bob]),
      await group(alice, [bob]),
      await group(alice, [bob]),
    ];
    const ws = await socketOf(alice);
    const word = `zq${randomUUID().slice(0, 6).replace(/\d/g, 'k')}`;
    const ru = await send(ws, stays, `Это <b>&</b> важное сообщение ${word}`);
    const en = await send(ws, stays, `An important message ${word}`);
    const gone = await send(ws, stays, `deleted message ${word}`);
    const edited = await send(ws, stays, `before the edit ${word}`);
    const inOthers = [
      await send(ws, leaves, `left ${word}`),
      await send(ws, banned, `banned ${word}`),
      await send(ws, removed, `removed ${word}`),
    ];
    await persisted(removed, alice.token, inOthers[2]!.id);
    await persisted(stays, alice.token, edited.id);
    expect(await statusOf('DELETE', `${system.apiUrl}/chats/${stays}/messages/${gone.id}`, alice.token)).to.equal(204);
    expect(
      (await http('PATCH', `${system.apiUrl}/chats/${stays}/messages/${edited.id}`, { text: 'после правки' }, alice.token)).status,
    ).to.equal(200);

    const ids = async (token: string, q: string, extra = '') =>
      (await search(token, `q=${encodeURIComponent(q)}${extra}`)).hits.map((h) => h.message_id);
    await waitFor(async () => (await ids(bob.token, word)).length === 5, { what: 'delete and edit applied, all hits in' });
    expect(await ids(bob.token, `сообщения ${word}`)).to.deep.equal([ru.id]);
    expect(await ids(bob.token, `messages ${word}`)).to.deep.equal([en.id]);
    expect(await ids(bob.token, `${word} сообщ`)).to.deep.equal([ru.id]);
    expect(await ids(bob.token, `${word} importan`)).to.deep.equal([en.id]);
    await waitFor(async () => (await ids(bob.token, 'правки')).includes(edited.id), { what: 'edit applied' });
    expect(await ids(bob.token, `before the edit ${word}`)).to.deep.equal([]);
    const hit = (await search(bob.token, `q=${encodeURIComponent(`сообщение ${word}`)}`)).hits[0]!;
    expect(hit).to.include({ chat_id: stays, seq: ru.seq });
    expect(hit.snippet).to.include('<mark>сообщение</mark>').and.include('&lt;b&gt;&amp;&lt;/b&gt;').and.not.include('<b>');

    // Leave, ban, remove: those chats stop matching at once.
    expect(await statusOf('POST', `${system.apiUrl}/chats/${leaves}/leave`, bob.token)).to.be.lessThan(300);
    expect(await statusOf('PUT', `${system.apiUrl}/chats/${banned}/bans/${bob.id}`, alice.token)).to.be.lessThan(300);
    expect(await statusOf('DELETE', `${system.apiUrl}/chats/${removed}/members/${bob.id}`, alice.token)).to.be.lessThan(300);
    expect(await ids(bob.token, word)).to.deep.equal([en.id, ru.id]);
    expect(await ids(alice.token, word)).to.have.members([ru.id, en.id, ...inOthers.map((m) => m.id)]);

    // Filters and keyset pages.
    expect(await ids(alice.token, word, `&chat_id=${stays}`)).to.deep.equal([en.id, ru.id]);
    expect(await ids(alice.token, word, `&sender_id=${bob.id}`)).to.deep.equal([]);
    const first = await search(alice.token, `q=${word}&limit=2`);
    expect(first.hits).to.have.length(2);
    const next = await search(alice.token, `q=${word}&limit=2&before=${first.body.next_before as string}`);
    expect([...first.hits, ...next.hits].map((h) => h.message_id)).to.deep.equal((await ids(alice.token, word)).slice(0, 4));

    // Hostile queries: tsquery syntax is only separators, no 500 ever.
    for (const q of ["&|!():*<->'\\", `${word} & | ! ( ) : * <-> ' \\`, "'; drop table messages; --", 'a:* | b', '!!!']) {
      const res = await search(alice.token, `q=${encodeURIComponent(q)}`);
      expect(res.status, q).to.be.oneOf([200, 400]);
    }
    expect((await search(alice.token, `q=${encodeURIComponent(`${word} & | ! ( ) : *`)}`)).hits.length).to.be.greaterThan(0);
    for (const q of ['%00', encodeURIComponent('a'.repeat(10_000)), '', encodeURIComponent('&|!')]) {
      const res = await search(alice.token, `q=${q}`);
      expect(res.status, q.slice(0, 20)).to.equal(400);
      expect((res.body.error as { code: string }).code).to.equal('validation_failed');
    }
    for (const extra of ['&limit=1e309', '&limit=-0', '&chat_id=nope', `&before=${'A'.repeat(36)}`, '&limit=101']) {
      expect((await search(alice.token, `q=${word}${extra}`)).status, extra).to.equal(400);
    }
  });

  it('search ignores case in Russian: ПРИВЕТ finds привет and Привет, upper-case words are stemmed', async () => {
    const [alice, bob] = [await registerAndLogin(system.apiUrl), await registerAndLogin(system.apiUrl)];
    const chatId = await group(alice, [bob]);
    const ws = await socketOf(alice);
    const tag = `zq${randomUUID().slice(0, 6).replace(/\d/g, 'k')}`;
    const lower = await send(ws, chatId, `привет ${tag}`);
    const title = await send(ws, chatId, `Привет, ${tag}!`);
    const upper = await send(ws, chatId, `${tag} НОВЫЕ СООБЩЕНИЯ`);
    await persisted(chatId, bob.token, upper.id);
    const ids = async (q: string) => (await search(bob.token, `q=${encodeURIComponent(q)}`)).hits.map((h) => h.message_id);
    expect(await ids(`ПРИВЕТ ${tag}`)).to.have.members([lower.id, title.id]);
    expect(await ids(`${tag} Привет`)).to.have.members([lower.id, title.id]);
    expect(await ids(`сообщение ${tag}`)).to.deep.equal([upper.id]);
    expect(await ids(`${tag} новые`)).to.deep.equal([upper.id]);
    const hit = (await search(bob.token, `q=${encodeURIComponent(`привет ${tag}`)}`)).hits.find((h) => h.message_id === title.id)!;
    expect(hit.snippet).to.include('<mark>Привет</mark>');
    // Case mappings that change length or need context, ligatures, marks with no letter: never a 5xx.
    for (const q of ['İSTANBUL', 'ΣΊΣΥΦΟΣ ς', 'ﬀ ẞ ǅ', '\u0301\u0301', '🙂 ПРИВЕТ', 'Ⅻ ①', `${'Я'.repeat(255)}`]) {
      const res = await search(bob.token, `q=${encodeURIComponent(q)}`);
      expect(res.status, q.slice(0, 20)).to.be.oneOf([200, 400]);
      if (res.status === 400) expect((res.body.error as { code: string }).code).to.equal('validation_failed');
    }
  });

  it('history around a seq: centred, with true flags at the first and the last message; hostile around is 400', async () => {
    const [alice, bob] = [await registerAndLogin(system.apiUrl), await registerAndLogin(system.apiUrl)];
    const chatId = await group(alice, [bob]);
    const ws = await socketOf(alice);
    const sent: Msg[] = [];
    for (let i = 0; i < 7; i++) sent.push(await send(ws, chatId, `m${i}`));
    await persisted(chatId, alice.token, sent[6]!.id);
    const page = async (seq: number, limit: number) => {
      const body = await history(chatId, bob.token, `?around=${seq}&limit=${limit}`);
      return { texts: body.messages.map((m) => m.text), has_previous: body.has_previous, has_next: body.has_next };
    };
    expect(await page(sent[3]!.seq, 3)).to.deep.equal({ texts: ['m2', 'm3', 'm4'], has_previous: true, has_next: true });
    expect(await page(sent[0]!.seq, 4)).to.deep.equal({ texts: ['m0', 'm1'], has_previous: false, has_next: true });
    expect(await page(sent[6]!.seq, 4)).to.deep.equal({ texts: ['m4', 'm5', 'm6'], has_previous: true, has_next: false });
    expect(await page(sent[6]!.seq, 20)).to.deep.equal({ texts: sent.map((m) => m.text), has_previous: false, has_next: false });
    for (const bad of [2 ** 53, -1, 0, '1e309', '-0', 'NaN', '1.5', `${sent[1]!.seq}&before_id=${sent[0]!.id}`]) {
      const res = await http<{ error: { code: string } }>(
        'GET',
        `${system.apiUrl}/chats/${chatId}/messages?around=${bad}`,
        undefined,
        bob.token,
      );
      expect(res.status, String(bad)).to.equal(400);
      expect(res.body.error.code).to.equal('validation_failed');
    }
  });

  it('a reply to a message acked but not yet written by the persister takes its preview from the stream', async () => {
    const [alice, bob] = [await registerAndLogin(system.apiUrl), await registerAndLogin(system.apiUrl)];
    const chatId = await group(alice, [bob]);
    const ws = await socketOf(alice);
    await system.persister.close();
    const original = await send(ws, chatId, 'only in the stream so far');
    const reply = await send(ws, chatId, 'answer', { reply_to: original.id });
    expect(reply.reply_to).to.deep.equal({
      id: original.id,
      sender_id: alice.id,
      text: 'only in the stream so far',
      deleted: false,
      attachments_count: 0,
    });
    const persister = await createPersister(testServiceConfig(PersisterEnv));
    await persister.start();
    try {
      expect((await persisted(chatId, bob.token, reply.id)).reply_to?.id).to.equal(original.id);
    } finally {
      await persister.close();
    }
  });
});
