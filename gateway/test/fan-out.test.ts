import { expect } from 'chai';
import { waitFor } from '@neonchat/common/testing';
import { GatewayHarness, receivedTexts, seqsOf, type RunningGateway } from './support/gateway-harness.js';

describe('gateway fan-out across two gateways @integration', () => {
  let h: GatewayHarness;
  let gw1: RunningGateway;
  let gw2: RunningGateway;

  before(async () => {
    h = await GatewayHarness.start();
    // This suite is about delivery, not about rate limits.
    gw1 = await h.gateway({ GATEWAY_RATE_BURST: 1000 });
    gw2 = await h.gateway({ GATEWAY_RATE_BURST: 1000 });
  });

  after(async () => {
    await h?.close();
  });

  it('delivers every message, in stream order, to every socket of every member on both gateways, the sender’s other device too', async () => {
    const [alice, bob, carol] = [await h.user(), await h.user(), await h.user()];
    const chatId = await h.chat('group', [{ user: alice, role: 'admin' }, bob, carol]);
    const aliceLaptop = await gw1.connect(alice);
    const alicePhone = await gw2.connect(alice);
    const bob1 = await gw1.connect(bob);
    const carol2 = await gw2.connect(carol);

    const n = 60;
    for (let i = 0; i < n; i++) aliceLaptop.send({ type: 'message', chat_id: chatId, text: `hello ${i}`, request_id: `r${i}` });
    // Others store into the same chat meanwhile, through another path into the stream.
    await h.storeMessages(chatId, carol, 20, (i) => `from carol ${i}`);
    await aliceLaptop.next((f) => f.type === 'message_sent' && f.request_id === `r${n - 1}`);

    for (const ws of [alicePhone, bob1, carol2]) {
      await waitFor(() => seqsOf(ws, chatId).length === n + 20, { what: 'all messages on every socket' });
      const seqs = seqsOf(ws, chatId);
      expect(seqs, 'stream order').to.deep.equal([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size, 'no duplicates').to.equal(seqs.length);
      expect(receivedTexts(ws, chatId).filter((t) => t.startsWith('hello '))).to.deep.equal(
        Array.from({ length: n }, (_, i) => `hello ${i}`),
      );
    }
    expect(seqsOf(aliceLaptop, chatId), 'the sending socket gets message_sent, not its own new_message').to.have.length(20);
    const sent = aliceLaptop.ofType('message_sent').map((f) => (f.message as { seq: number }).seq);
    expect(sent).to.deep.equal([...sent].sort((a, b) => a - b));
  });

  it('fans out edits, deletes and read marks to every member', async () => {
    const [alice, bob] = [await h.user(), await h.user()];
    const chatId = await h.chat('direct', [alice, bob]);
    const a = await gw1.connect(alice);
    const b = await gw2.connect(bob);
    const [stored] = await h.storeMessages(chatId, alice, 1);
    const now = new Date().toISOString();
    await h.storeEvent({ type: 'message.updated', id: stored!.id, chat_id: chatId, editor_id: alice.id, text: 'edited', updated_at: now });
    await h.storeEvent({ type: 'chat.read', chat_id: chatId, user_id: bob.id, message_id: stored!.id, seq: stored!.seq, read_at: now });
    await h.storeEvent({ type: 'message.deleted', id: stored!.id, chat_id: chatId, deleted_by: alice.id, deleted_at: now });
    for (const ws of [a, b]) {
      const updated = await ws.next((f) => f.type === 'message_updated' && f.message_id === stored!.id);
      expect(updated.text).to.equal('edited');
      const read = await ws.next((f) => f.type === 'read' && f.chat_id === chatId);
      expect(read).to.include({ user_id: bob.id, message_id: stored!.id, seq: stored!.seq });
      await ws.next((f) => f.type === 'message_deleted' && f.message_id === stored!.id);
      const kinds = ws.frames
        .filter((f) => ['new_message', 'message_updated', 'read', 'message_deleted'].includes(f.type))
        .map((f) => f.type);
      expect(kinds).to.deep.equal(['new_message', 'message_updated', 'read', 'message_deleted']);
    }
  });

  it('keeps one NATS subscription per chat per gateway, whatever the number of sockets', async () => {
    const users = await Promise.all(Array.from({ length: 5 }, () => h.user()));
    await h.chat('group', users);
    const before = Number((await gw1.gateway.registry.getSingleMetricAsString('neonchat_gateway_chat_subscriptions')).split(' ').pop());
    const opened = await Promise.all(users.map((u) => gw1.connect(u)));
    const after = Number((await gw1.gateway.registry.getSingleMetricAsString('neonchat_gateway_chat_subscriptions')).split(' ').pop());
    expect(after - before).to.equal(1);
    await Promise.all(opened.map((s) => s.close()));
    await waitFor(async () => {
      const now = Number((await gw1.gateway.registry.getSingleMetricAsString('neonchat_gateway_chat_subscriptions')).split(' ').pop());
      return now === before;
    });
  });

  it('applies membership changes to open sockets at once: added users receive, banned users lose the chat', async () => {
    const [admin, bob, carol, dave] = [await h.user(), await h.user(), await h.user(), await h.user()];
    const chatId = await h.chat('group', [{ user: admin, role: 'admin' }, bob, carol]);
    const a = await gw1.connect(admin);
    const b = await gw2.connect(bob);
    const c = await gw2.connect(carol);
    const d = await gw1.connect(dave);
    expect(d.frames[0]!.chat_ids).to.not.include(chatId);

    await h.setMembership(chatId, 'group', dave, 'active');
    // The event is applied as it arrives; from then on what is stored in the chat reaches dave.
    await waitFor(
      async () => {
        await h.storeMessages(chatId, admin, 1, () => 'probe');
        return receivedTexts(d, chatId).includes('probe');
      },
      { intervalMs: 100, what: 'dave receives after being added' },
    );

    await h.setMembership(chatId, 'group', bob, 'banned');
    b.send({ type: 'message', chat_id: chatId, text: 'let me in', request_id: 'ban-1' });
    const refused = await b.next((f) => f.type === 'error' && f.request_id === 'ban-1');
    expect(refused.code).to.equal('forbidden');
    const bobHad = seqsOf(b, chatId).length;
    a.send({ type: 'message', chat_id: chatId, text: 'after the ban', request_id: 'a-1' });
    await a.next((f) => f.type === 'message_sent' && f.request_id === 'a-1');
    await d.next((f) => f.type === 'new_message' && (f.message as { text: string }).text === 'after the ban');
    // carol shares bob's gateway and topic: once she has it, bob would have had it too.
    await c.next((f) => f.type === 'new_message' && (f.message as { text: string }).text === 'after the ban');
    // Anything published to bob before this pong would be ahead of it on his socket.
    b.send({ type: 'ping', request_id: 'after-ban' });
    await b.next((f) => f.type === 'pong' && f.request_id === 'after-ban');
    expect(seqsOf(b, chatId)).to.have.length(bobHad);
  });

  it('lets only admins post in a channel, and nobody post in a chat they are not in', async () => {
    const [owner, reader, stranger] = [await h.user(), await h.user(), await h.user()];
    const channel = await h.chat('channel', [{ user: owner, role: 'admin' }, reader]);
    const o = await gw1.connect(owner);
    const r = await gw2.connect(reader);
    const s = await gw1.connect(stranger);
    r.send({ type: 'message', chat_id: channel, text: 'hi', request_id: 'r1' });
    expect((await r.next((f) => f.type === 'error' && f.request_id === 'r1')).code).to.equal('forbidden');
    s.send({ type: 'message', chat_id: channel, text: 'hi', request_id: 's1' });
    expect((await s.next((f) => f.type === 'error' && f.request_id === 's1')).code).to.equal('not_found');
    o.send({ type: 'message', chat_id: channel, text: 'announcement', request_id: 'o1' });
    await o.next((f) => f.type === 'message_sent' && f.request_id === 'o1');
    expect(receivedTexts(await waitFor(() => (receivedTexts(r, channel).length ? r : undefined)), channel)).to.deep.equal(['announcement']);
    expect(s.ofType('new_message')).to.have.length(0);
  });
});
