import { expect } from 'chai';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { ORIGIN_CONNECTION_HEADER, SUBJECTS, createLogger, type ChatEvent } from '@neonchat/common';
import { waitFor } from '@neonchat/common/testing';
import { LiveFeed, type LiveEvent } from '../src/live-feed.js';
import { ChatStreamReader } from '../src/stream-reader.js';
import { NatsChatBus } from '../src/bus/nats-chat-bus.js';
import { GatewayHarness } from './support/gateway-harness.js';

/** A stored message as the stream republishes it: its sequence, the chat's previous one, and the origin connection if any. */
function republishAs(
  h: GatewayHarness,
  chatId: string,
  senderId: string,
  stored: { seq: number; id: string },
  text: string,
  lastSeq: number,
  origin?: string,
): void {
  const headers = natsHeaders();
  headers.set('Nats-Sequence', String(stored.seq));
  headers.set('Nats-Last-Sequence', String(lastSeq));
  if (origin !== undefined) headers.set(ORIGIN_CONNECTION_HEADER, origin);
  const event: ChatEvent = {
    type: 'message.created',
    id: stored.id,
    chat_id: chatId,
    sender_id: senderId,
    text,
    created_at: new Date().toISOString(),
  };
  h.nc.publish(SUBJECTS.liveEvents(chatId), JSON.stringify(event), { headers });
}

describe('live feed ordering and gap repair @integration', () => {
  let h: GatewayHarness;

  before(async () => {
    h = await GatewayHarness.start();
  });

  after(async () => {
    await h?.close();
  });

  it('reads a hole in the republished sequence back from the stream before going on, and drops duplicates', async () => {
    const [alice, bob] = [await h.user(), await h.user()];
    const chatId = await h.chat('group', [alice, bob]);
    // Stored before the feed subscribes: the feed only sees what is replayed by hand below.
    const stored = await h.storeMessages(chatId, alice, 3, (i) => `s${i}`);
    const events: LiveEvent[] = [];
    const repaired: number[] = [];
    const dropped: string[] = [];
    const bus = await NatsChatBus.over(h.nc, createLogger('test', 'silent'), 5000);
    const reader = new ChatStreamReader(bus, () => undefined, createLogger('test', 'silent'));
    const feed = new LiveFeed(
      bus,
      {
        event: (e) => events.push(e),
        wanted: () => true,
        typing: () => undefined,
        dropped: (_chat, reason) => dropped.push(reason),
        repaired: (_chat, n) => repaired.push(n),
      },
      async (chat, after, onEvent) => {
        await reader.read(chat, { fromSeq: after + 1 }, onEvent);
      },
      createLogger('test', 'silent'),
    );
    feed.acquire(chatId);
    await feed.flush();
    const republish = (i: number, last: number) => republishAs(h, chatId, alice.id, stored[i]!, `s${i}`, last);
    republish(0, 0);
    // The second one is "lost" on the way: the third names it as its predecessor.
    republish(2, stored[1]!.seq);
    republish(2, stored[1]!.seq);
    await waitFor(() => events.length === 3, { what: 'three events out' });
    await h.nc.flush();
    expect(events.map((e) => e.seq)).to.deep.equal(stored.map((s) => s.seq));
    expect(repaired).to.deep.equal([1]);
    await waitFor(() => dropped.includes('duplicate'));
    feed.release(chatId);
    expect(feed.size).to.equal(0);
  });

  it('makes no frame for an event nobody here takes, yet moves the chat on (no repair, no duplicate)', async () => {
    const [alice, bob] = [await h.user(), await h.user()];
    const chatId = await h.chat('group', [alice, bob]);
    const stored = await h.storeMessages(chatId, alice, 3, (i) => `w${i}`);
    const events: LiveEvent[] = [];
    const asked: Array<{ origin: string | undefined; created: boolean }> = [];
    const dropped: string[] = [];
    let repairs = 0;
    const feed = new LiveFeed(
      await NatsChatBus.over(h.nc, createLogger('test', 'silent'), 5000),
      {
        event: (e) => events.push(e),
        // Only the sender's own new messages are unwanted here.
        wanted: (_chat, origin, created) => {
          asked.push({ origin, created });
          return !(origin === 'conn-alice' && created);
        },
        typing: () => undefined,
        dropped: (_chat, reason) => dropped.push(reason),
        repaired: () => (repairs += 1),
      },
      async () => {
        repairs += 100;
      },
      createLogger('test', 'silent'),
    );
    feed.acquire(chatId);
    await feed.flush();
    const republish = (i: number, last: number, origin: string) => republishAs(h, chatId, alice.id, stored[i]!, `w${i}`, last, origin);
    republish(0, 0, 'conn-bob');
    republish(1, stored[0]!.seq, 'conn-alice');
    republish(2, stored[1]!.seq, 'conn-bob');
    await waitFor(() => events.length === 2, { what: 'the two wanted events out' });
    await h.nc.flush();
    expect(events.map((e) => e.seq)).to.deep.equal([stored[0]!.seq, stored[2]!.seq]);
    expect(asked).to.deep.equal([
      { origin: 'conn-bob', created: true },
      { origin: 'conn-alice', created: true },
      { origin: 'conn-bob', created: true },
    ]);
    expect(feed.lastSeq(chatId)).to.equal(stored[2]!.seq);
    expect(repairs, 'the skipped event is no hole').to.equal(0);
    // A replay of the skipped one is now behind the chat's place: a duplicate, not delivered.
    republish(1, stored[0]!.seq, 'conn-bob');
    await waitFor(() => dropped.includes('duplicate'), { what: 'the replay dropped' });
    expect(events).to.have.length(2);
    feed.release(chatId);
  });
});
