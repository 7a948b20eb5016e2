import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { TestSocket, waitFor } from '@neonchat/common/testing';
import { startSystem, http, registerAndLogin, type RunningSystem } from '../support/system.js';

type Reactions = Array<{ emoji: string; user_ids: string[] }> | undefined;
type Page = { messages: Array<{ id: string; seq: number; reactions?: Reactions }> };

describe('message reactions, end to end @integration', () => {
  let system: RunningSystem;

  before(async () => {
    system = await startSystem();
  });

  after(async () => {
    await system?.stop();
  });

  const reactionUrl = (chatId: string, messageId: string, emoji: string) =>
    `${system.apiUrl}/chats/${chatId}/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`;

  async function historyOf(chatId: string, token: string): Promise<Page['messages']> {
    const page = await http<Page>('GET', `${system.apiUrl}/chats/${chatId}/messages`, undefined, token);
    expect(page.status).to.equal(200);
    return page.body.messages;
  }

  /** A message sent over the socket and already written by the persister. */
  async function persistedMessage(ws: TestSocket, chatId: string, token: string, text: string): Promise<{ id: string; seq: number }> {
    const requestId = `m-${randomUUID()}`;
    ws.send({ type: 'message', chat_id: chatId, text, request_id: requestId });
    const sent = await ws.next((f) => f.type === 'message_sent' && f.request_id === requestId);
    const message = sent.message as { id: string; seq: number };
    await waitFor(async () => (await historyOf(chatId, token)).some((m) => m.id === message.id), { what: 'message persisted' });
    return message;
  }

  it('adds and removes reactions over WebSocket and REST: fanned out, stored once, in history, open and resume', async () => {
    const alice = await registerAndLogin(system.apiUrl);
    const bob = await registerAndLogin(system.apiUrl);
    const chat = await http<{ id: string }>('POST', `${system.apiUrl}/chats`, { partner_id: bob.id }, alice.token);
    const chatId = chat.body.id;
    const aliceWs = await TestSocket.open(`${system.wsUrl}?token=${alice.token}`);
    const bobWs = await TestSocket.open(`${system.wsUrl}?token=${bob.token}`);
    await aliceWs.next((f) => f.type === 'ready');
    const bobReady = await bobWs.next((f) => f.type === 'ready');
    const message = await persistedMessage(aliceWs, chatId, alice.token, 'react to me');

    // Bob over the socket: acked once stored, then every member (Bob's socket too) gets the event.
    bobWs.send({ type: 'react', chat_id: chatId, message_id: message.id, emoji: '👍', op: 'add', request_id: 'r-1' });
    const saved = await bobWs.next((f) => f.type === 'reaction_saved' && f.request_id === 'r-1');
    const atAlice = await aliceWs.next((f) => f.type === 'reaction');
    expect(atAlice).to.deep.include({ op: 'add', chat_id: chatId, message_id: message.id, user_id: bob.id, emoji: '👍', seq: saved.seq });
    await bobWs.next((f) => f.type === 'reaction' && f.seq === saved.seq);
    // A resend of the same request is stored once.
    bobWs.send({ type: 'react', chat_id: chatId, message_id: message.id, emoji: '👍', op: 'add', request_id: 'r-1' });
    const again = await bobWs.waitNew((f) => f.type === 'reaction_saved' && f.request_id === 'r-1');
    expect(again.seq).to.equal(saved.seq);

    // Alice over REST; the same emoji spelled decomposed-vs-composed would be one reaction (NFC).
    const put = await http<{ op: string; seq: number; user_id: string }>(
      'PUT',
      reactionUrl(chatId, message.id, '❤️'),
      undefined,
      alice.token,
    );
    expect(put.status).to.equal(200);
    expect(put.body).to.include({ op: 'add', user_id: alice.id });
    await bobWs.next((f) => f.type === 'reaction' && f.seq === put.body.seq && f.user_id === alice.id);

    const both = [
      { emoji: '👍', user_ids: [bob.id] },
      { emoji: '❤️', user_ids: [alice.id] },
    ];
    await waitFor(async () => JSON.stringify((await historyOf(chatId, bob.token))[0]?.reactions) === JSON.stringify(both), {
      what: 'both reactions in history',
    });

    // Opening the chat shows them on the message.
    const third = await TestSocket.open(`${system.wsUrl}?token=${bob.token}&chat_id=${chatId}`);
    const opened = await third.next((f) => f.type === 'history');
    expect((opened.messages as Page['messages']).find((m) => m.id === message.id)?.reactions).to.deep.equal(both);

    // Bob takes his back over REST: the event reaches Alice, history and a resume.
    const del = await http<{ op: string; seq: number }>('DELETE', reactionUrl(chatId, message.id, '👍'), undefined, bob.token);
    expect(del.status).to.equal(200);
    expect(del.body.op).to.equal('remove');
    await aliceWs.next((f) => f.type === 'reaction' && f.op === 'remove' && f.seq === del.body.seq);
    await waitFor(async () => JSON.stringify((await historyOf(chatId, alice.token))[0]?.reactions) === JSON.stringify([both[1]]), {
      what: 'the removal in history',
    });

    const resumer = await TestSocket.open(`${system.wsUrl}?token=${alice.token}`);
    await resumer.next((f) => f.type === 'ready');
    resumer.send({ type: 'resume', chat_id: chatId, after_seq: message.seq, request_id: 'res-1' });
    await resumer.next((f) => f.type === 'resumed' && f.request_id === 'res-1');
    expect(resumer.ofType('reaction').map((f) => [f.op, f.emoji, f.seq])).to.deep.equal([
      ['add', '👍', saved.seq],
      ['add', '❤️', put.body.seq],
      ['remove', '👍', del.body.seq],
    ]);
    expect(bobReady.chat_ids).to.include(chatId);
    await Promise.all([aliceWs.close(), bobWs.close(), third.close(), resumer.close()]);
  });

  it('treats the emoji and ids as hostile input and refuses unknown messages', async () => {
    const alice = await registerAndLogin(system.apiUrl);
    const bob = await registerAndLogin(system.apiUrl);
    const chat = await http<{ id: string }>('POST', `${system.apiUrl}/chats`, { partner_id: bob.id }, alice.token);
    const ws = await TestSocket.open(`${system.wsUrl}?token=${alice.token}`);
    await ws.next((f) => f.type === 'ready');
    const message = await persistedMessage(ws, chat.body.id, alice.token, 'hostile');
    const frame = { type: 'react', chat_id: chat.body.id, message_id: message.id, op: 'add' };
    const bad = ['lol', '👍\u0000', ' 👍', '👍'.repeat(33), '<b>👍</b>', '\u202e👍', '\ud83d', ''];
    for (const [i, emoji] of bad.entries()) {
      ws.send({ ...frame, emoji, request_id: `bad-${i}` });
      const error = await ws.next((f) => f.type === 'error' && f.request_id === `bad-${i}`);
      expect(error.code, JSON.stringify(emoji)).to.equal('validation_failed');
    }
    ws.send({ ...frame, emoji: '👍', op: 'toggle', request_id: 'bad-op' });
    expect((await ws.next((f) => f.type === 'error' && f.request_id === 'bad-op')).code).to.equal('validation_failed');
    ws.send({ ...frame, emoji: '👍', message_id: '0190a7b2-1c3d-7e4f-8a9b-0c1d2e3f4a5b', request_id: 'unknown' });
    expect((await ws.next((f) => f.type === 'error' && f.request_id === 'unknown')).code).to.equal('not_found');

    for (const emoji of ['lol', '👍\u0000', '👍'.repeat(33)]) {
      const res = await http<{ error: { code: string } }>('PUT', reactionUrl(chat.body.id, message.id, emoji), undefined, alice.token);
      expect(res.status, JSON.stringify(emoji)).to.equal(400);
      expect(res.body.error.code).to.equal('validation_failed');
    }
    // Ids are canonicalised at the edge: upper case is accepted and stored (and fanned out) lower case.
    ws.send({ ...frame, chat_id: chat.body.id.toUpperCase(), message_id: message.id.toUpperCase(), emoji: '👍', request_id: 'upper' });
    await ws.next((f) => f.type === 'reaction_saved' && f.request_id === 'upper');
    const fanned = await ws.next((f) => f.type === 'reaction');
    expect(fanned).to.include({ chat_id: chat.body.id, message_id: message.id });
    const missing = await http('PUT', reactionUrl(chat.body.id, '0190a7b2-1c3d-7e4f-8a9b-0c1d2e3f4a5b', '👍'), undefined, alice.token);
    expect(missing.status).to.equal(404);
    expect(ws.ofType('reaction'), 'nothing refused was stored').to.have.length(1);
    await ws.close();
  });

  it('lets channel members react, never banned users or strangers', async () => {
    const admin = await registerAndLogin(system.apiUrl);
    const reader = await registerAndLogin(system.apiUrl);
    const troll = await registerAndLogin(system.apiUrl);
    const stranger = await registerAndLogin(system.apiUrl);
    const channel = await http<{ id: string }>(
      'POST',
      `${system.apiUrl}/chats`,
      { type: 'channel', name: 'news', member_ids: [reader.id, troll.id] },
      admin.token,
    );
    expect(channel.status).to.equal(201);
    const adminWs = await TestSocket.open(`${system.wsUrl}?token=${admin.token}`);
    await adminWs.next((f) => f.type === 'ready');
    const post = await persistedMessage(adminWs, channel.body.id, admin.token, 'announcement');

    const byReader = await http('PUT', reactionUrl(channel.body.id, post.id, '🎉'), undefined, reader.token);
    expect(byReader.status, 'a channel member reacts').to.equal(200);
    await adminWs.next((f) => f.type === 'reaction' && f.user_id === reader.id);

    const ban = await http('PUT', `${system.apiUrl}/chats/${channel.body.id}/bans/${troll.id}`, undefined, admin.token);
    expect(ban.status).to.be.within(200, 204);
    const byTroll = await http<{ error: { code: string } }>('PUT', reactionUrl(channel.body.id, post.id, '👎'), undefined, troll.token);
    expect(byTroll.status).to.equal(403);
    const trollWs = await TestSocket.open(`${system.wsUrl}?token=${troll.token}`);
    await trollWs.next((f) => f.type === 'ready');
    trollWs.send({ type: 'react', chat_id: channel.body.id, message_id: post.id, emoji: '👎', op: 'add', request_id: 't-1' });
    expect((await trollWs.next((f) => f.type === 'error' && f.request_id === 't-1')).code).to.equal('forbidden');

    const byStranger = await http('PUT', reactionUrl(channel.body.id, post.id, '👀'), undefined, stranger.token);
    expect(byStranger.status, 'a stranger is told the chat does not exist').to.equal(404);
    await Promise.all([adminWs.close(), trollWs.close()]);
  });
});
