import { expect } from 'chai';
import { TestSocket, waitFor } from '@neonchat/common/testing';
import { startSystem, http, registerAndLogin, type RunningSystem } from '../support/system.js';

describe('first message, end to end @integration', () => {
  let system: RunningSystem;

  before(async () => {
    system = await startSystem();
  });

  after(async () => {
    await system?.stop();
  });

  it('registers two users, connects both, delivers a message and reads it back from history', async () => {
    const alice = await registerAndLogin(system.apiUrl);
    const bob = await registerAndLogin(system.apiUrl);

    const chat = await http<{ id: string; partner: { id: string } }>('POST', `${system.apiUrl}/chats`, { partner_id: bob.id }, alice.token);
    expect(chat.status).to.equal(201);
    expect(chat.body.partner.id).to.equal(bob.id);
    const again = await http<{ id: string }>('POST', `${system.apiUrl}/chats`, { partner_id: alice.id }, bob.token);
    expect(again.status, 'the same pair gets the same chat').to.equal(200);
    expect(again.body.id).to.equal(chat.body.id);

    const aliceWs = await TestSocket.open(`${system.wsUrl}?token=${alice.token}`);
    const bobWs = await TestSocket.open(system.wsUrl, { headers: { authorization: `Bearer ${bob.token}` } });
    const ready = await bobWs.next((f) => f.type === 'ready');
    expect(ready.chat_ids).to.include(chat.body.id);
    await aliceWs.next((f) => f.type === 'ready');

    aliceWs.send({ type: 'message', chat_id: chat.body.id, text: '  hello, bob  ', request_id: 'r-1' });
    const sent = await aliceWs.next((f) => f.type === 'message_sent');
    const received = await bobWs.next((f) => f.type === 'new_message');
    const sentMessage = sent.message as { id: string; text: string; seq: number };
    expect(sent).to.include({ request_id: 'r-1', status: 'delivered' });
    expect(sentMessage.text).to.equal('hello, bob');
    expect(received.message).to.deep.equal(sent.message);
    expect(aliceWs.ofType('new_message'), 'the sender gets message_sent, not its own new_message').to.have.length(0);

    const history = await waitFor(
      async () => {
        const page = await http<{ messages: Array<{ id: string; text: string; sender_id: string }> }>(
          'GET',
          `${system.apiUrl}/chats/${chat.body.id}/messages`,
          undefined,
          bob.token,
        );
        return page.body.messages.length ? page.body : undefined;
      },
      { what: 'the message in history' },
    );
    expect(history.messages).to.have.length(1);
    expect(history.messages[0]).to.include({ id: sentMessage.id, text: 'hello, bob', sender_id: alice.id });

    // Presence saw both connections.
    const online = await waitFor(() => system.presence.store.status(bob.id), { what: 'bob online in redis' });
    expect(online.status).to.equal('online');
    expect(await system.presence.redis.ttl(`online:${bob.id}`)).to.be.within(1, 65);
    expect(await system.presence.redis.smembers(`user:${bob.id}:ws_connections`)).to.have.length(1);

    await bobWs.close();
    await waitFor(async () => (await system.presence.store.status(bob.id)) === undefined, { what: 'bob offline' });
    await aliceWs.close();
  });

  it('refuses a socket without a valid token before the upgrade', async () => {
    expect(await TestSocket.refusal(system.wsUrl)).to.equal(401);
    expect(await TestSocket.refusal(`${system.wsUrl}?token=not-a-jwt`)).to.equal(401);
  });

  it('answers a resend with the same request_id with the stored message, stored once', async () => {
    const alice = await registerAndLogin(system.apiUrl);
    const bob = await registerAndLogin(system.apiUrl);
    const chat = await http<{ id: string }>('POST', `${system.apiUrl}/chats`, { partner_id: bob.id }, alice.token);
    const ws = await TestSocket.open(`${system.wsUrl}?token=${alice.token}`);
    await ws.next((f) => f.type === 'ready');
    ws.send({ type: 'message', chat_id: chat.body.id, text: 'once', request_id: 'dup-1' });
    const first = await ws.next((f) => f.type === 'message_sent' && f.request_id === 'dup-1');
    ws.send({ type: 'message', chat_id: chat.body.id, text: 'once', request_id: 'dup-1' });
    const second = await ws.waitNew((f) => f.type === 'message_sent' && f.request_id === 'dup-1');
    expect(second.message).to.deep.equal(first.message);
    const page = await waitFor(async () => {
      const res = await http<{ messages: unknown[] }>('GET', `${system.apiUrl}/chats/${chat.body.id}/messages`, undefined, bob.token);
      return res.body.messages.length ? res.body : undefined;
    });
    expect(page.messages).to.have.length(1);
    await ws.close();
  });
});
