import { expect } from 'chai';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream } from '@nats-io/jetstream';
import { PersisterEnv, SUBJECTS, uuidv7, type MessageCreatedEvent } from '@neonchat/common';
import { testEnvironment, testServiceConfig, waitFor } from '@neonchat/common/testing';
import { createPersister, type Persister } from '@neonchat/persister';
import { startHarness, type Harness } from './support/api-harness.js';

describe('edits, deletes and read marks through the stream and the persister @integration', () => {
  let h: Harness;
  let nc: NatsConnection;
  let persister: Persister;
  before(async () => {
    h = await startHarness();
    nc = await connect({ servers: testEnvironment().natsUrl });
    persister = await createPersister(testServiceConfig(PersisterEnv));
    await persister.start();
  });
  after(async () => {
    await persister.close();
    await nc.drain();
    await h.close();
  });

  it('a message sent on the stream is edited, read and deleted through the api, and the database follows', async function () {
    this.timeout(20000);
    const [a, b] = [await h.user(), await h.user()];
    const chatId = (await h.request('POST', '/api/v1/chats', { token: a.token, body: { partner_id: b.id } })).body.id as string;
    // What the gateway publishes when a client sends a message.
    const sent: MessageCreatedEvent = {
      type: 'message.created',
      id: uuidv7(),
      chat_id: chatId,
      sender_id: a.id,
      text: 'first draft',
      created_at: new Date().toISOString(),
    };
    await jetstream(nc).publish(SUBJECTS.chatEvents(chatId), JSON.stringify(sent));
    const history = () => h.request('GET', `/api/v1/chats/${chatId}/messages`, { token: b.token });
    await waitFor(async () => (await history()).body.messages.length === 1, { what: 'message persisted' });

    expect(
      (await h.request('PATCH', `/api/v1/chats/${chatId}/messages/${sent.id}`, { token: a.token, body: { text: 'final' } })).status,
    ).to.equal(200);
    await waitFor(async () => (await history()).body.messages[0]?.text === 'final', { what: 'edit applied' });
    expect((await history()).body.messages[0].updated_at).to.be.a('string');

    const listed = await h.request('GET', '/api/v1/chats', { token: b.token });
    expect(listed.body.chats[0]).to.deep.include({ id: chatId, unread_count: 1 });
    expect(listed.body.chats[0].last_message).to.deep.include({ text: 'final', sender_id: a.id });
    expect(
      (await h.request('POST', `/api/v1/chats/${chatId}/read`, { token: b.token, body: { message_id: sent.id } })).body.unread_count,
    ).to.equal(0);

    expect((await h.request('DELETE', `/api/v1/chats/${chatId}/messages/${sent.id}`, { token: a.token })).status).to.equal(204);
    await waitFor(async () => (await history()).body.messages.length === 0, { what: 'delete applied' });
    const after = await h.request('GET', '/api/v1/chats', { token: b.token });
    expect(after.body.chats[0]).to.deep.include({ last_message: null, unread_count: 0 });
  });
});
