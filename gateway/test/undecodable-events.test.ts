import { expect } from 'chai';
import { jetstream } from '@nats-io/jetstream';
import { SUBJECTS, type ChatEvent, type Logger } from '@neonchat/common';
import { uuidv7 } from '@neonchat/common/runtime';
import { waitFor } from '@neonchat/common/testing';
import type { ChatBus } from '../src/bus/chat-bus.js';
import { MemoryChatBus } from '../src/bus/memory-chat-bus.js';
import { LiveFeed, type LiveEvent } from '../src/live-feed.js';
import { ChatStreamReader } from '../src/stream-reader.js';
import { GatewayHarness, type RunningGateway, type TestUser } from './support/gateway-harness.js';

/** What a newer api could store: a type this gateway does not know. Long, to check the log keeps a bounded prefix. */
const pinned = (chatId: string) =>
  JSON.stringify({ type: 'message.pinned', chat_id: chatId, message_id: uuidv7(), note: 'x'.repeat(5000) });

function created(chatId: string, text: string): ChatEvent {
  return { type: 'message.created', id: uuidv7(), chat_id: chatId, sender_id: uuidv7(), text, created_at: new Date().toISOString() };
}

/** A logger that keeps its warnings. */
function recordingLogger(): { logger: Logger; warnings: Array<Record<string, unknown>> } {
  const warnings: Array<Record<string, unknown>> = [];
  const logger = { warn: (obj: Record<string, unknown>) => warnings.push(obj), error: () => undefined } as unknown as Logger;
  return { logger, warnings };
}

describe('gateway: a stored event it cannot decode (no servers)', () => {
  it('the stream reader hands it on as undefined at its seq, logged with seq, chat and a bounded prefix, and counted', async () => {
    const bus = new MemoryChatBus();
    const chatId = uuidv7();
    const { logger, warnings } = recordingLogger();
    const counted: Array<[string, number]> = [];
    const reader = new ChatStreamReader(bus, (chat, seq) => counted.push([chat, seq]), logger);
    const a = (await bus.events.publish(created(chatId, 'a'))).seq;
    const bad = bus.storeRaw(chatId, pinned(chatId));
    const b = (await bus.events.publish(created(chatId, 'b'))).seq;
    const got: Array<[number, string | undefined]> = [];
    const result = await reader.read(chatId, { fromSeq: 1 }, (seq, event) => {
      got.push([seq, event?.type]);
    });
    expect(got).to.deep.equal([
      [a, 'message.created'],
      [bad, undefined],
      [b, 'message.created'],
    ]);
    expect(result).to.include({ tooFar: false, lastSeq: b });
    expect(counted).to.deep.equal([[chatId, bad]]);
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.include({ chat_id: chatId, seq: bad });
    expect(String(warnings[0]!.prefix)).to.have.length(64);
    expect(String(warnings[0]!.prefix)).to.match(/^\{"type":"message\.pinned"/);
  });

  it('the live feed sends a gap frame in its place, in order, counted as malformed, and goes on without a repair', async () => {
    const bus = new MemoryChatBus();
    const chatId = uuidv7();
    const { logger, warnings } = recordingLogger();
    const events: LiveEvent[] = [];
    const dropped: string[] = [];
    let repairs = 0;
    const feed = new LiveFeed(
      bus,
      {
        event: (e) => events.push(e),
        wanted: () => true,
        typing: () => undefined,
        dropped: (_chat, reason) => dropped.push(reason),
        repaired: () => (repairs += 1),
      },
      async () => {
        repairs += 100;
      },
      logger,
    );
    feed.acquire(chatId);
    const a = (await bus.events.publish(created(chatId, 'a'))).seq;
    const bad = bus.storeRaw(chatId, pinned(chatId));
    const b = (await bus.events.publish(created(chatId, 'b'))).seq;
    expect(events.map((e) => [e.seq, e.type])).to.deep.equal([
      [a, 'new_message'],
      [bad, 'gap'],
      [b, 'new_message'],
    ]);
    expect(JSON.parse(events[1]!.data)).to.deep.equal({ type: 'gap', chat_id: chatId, seq: bad, reason: 'unsupported_event' });
    expect(dropped).to.deep.equal(['malformed']);
    expect(warnings[0]).to.include({ chat_id: chatId, seq: bad });
    expect(repairs).to.equal(0);
    feed.release(chatId);
  });

  it('a hole repaired from the stream shows an undecodable event in it as a gap frame too', async () => {
    const bus = new MemoryChatBus();
    const chatId = uuidv7();
    const { logger } = recordingLogger();
    const counted: number[] = [];
    const reader = new ChatStreamReader(bus, (_chat, seq) => counted.push(seq), logger);
    // Core NATS may lose a republished event (a reconnect, a slow-consumer cut): this bus loses the ones named here.
    const lose = new Set<number>();
    const lossy: Pick<ChatBus, 'subscribeLive' | 'flush'> = {
      subscribeLive: (chat, handler) =>
        bus.subscribeLive(chat, {
          event: (seq, last, data, origin) => (lose.has(seq) ? undefined : handler.event(seq, last, data, origin)),
          typing: (data, origin) => handler.typing(data, origin),
        }),
      flush: () => bus.flush(),
    };
    const events: LiveEvent[] = [];
    const repaired: number[] = [];
    const feed = new LiveFeed(
      lossy,
      {
        event: (e) => events.push(e),
        wanted: () => true,
        typing: () => undefined,
        dropped: () => undefined,
        repaired: (_c, n) => repaired.push(n),
      },
      async (chat, after, onEvent) => {
        await reader.read(chat, { fromSeq: after + 1 }, onEvent);
      },
      logger,
    );
    feed.acquire(chatId);
    const a = (await bus.events.publish(created(chatId, 'a'))).seq;
    lose.add(a + 1);
    const bad = bus.storeRaw(chatId, pinned(chatId));
    expect(bad).to.equal(a + 1);
    const b = (await bus.events.publish(created(chatId, 'b'))).seq;
    await waitFor(() => events.length === 3, { what: 'the hole repaired' });
    expect(events.map((e) => [e.seq, e.type])).to.deep.equal([
      [a, 'new_message'],
      [bad, 'gap'],
      [b, 'new_message'],
    ]);
    expect(repaired).to.deep.equal([1]);
    expect(counted).to.deep.equal([bad]);
    feed.release(chatId);
  });
});

describe('gateway: a stored event it cannot decode @integration', () => {
  let h: GatewayHarness;
  let gw: RunningGateway;
  let alice: TestUser;
  let bob: TestUser;

  before(async () => {
    h = await GatewayHarness.start();
    gw = await h.gateway();
    [alice, bob] = [await h.user(), await h.user()];
  });

  after(async () => {
    await h?.close();
  });

  it('is a gap frame live and in a resume replay, in stream order, and counted in drops_total{reason="malformed"}', async () => {
    const chatId = await h.chat('group', [alice, bob]);
    const live = await gw.connect(bob);
    const [before] = await h.storeMessages(chatId, alice, 1, () => 'before');
    const bad = (await jetstream(h.nc).publish(SUBJECTS.chatEvents(chatId), pinned(chatId))).seq;
    const [after] = await h.storeMessages(chatId, alice, 1, () => 'after');
    await live.next((f) => f.type === 'new_message' && (f.message as { seq: number }).seq === after!.seq);
    const seqsOf = (frames: Array<Record<string, unknown>>) =>
      frames
        .filter((f) => f.type === 'gap' || (f.type === 'new_message' && (f.message as { chat_id: string }).chat_id === chatId))
        .map((f) => (f.type === 'gap' ? `gap:${String(f.seq)}` : String((f.message as { seq: number }).seq)));
    expect(seqsOf(live.frames)).to.deep.equal([String(before!.seq), `gap:${bad}`, String(after!.seq)]);
    expect(live.frames.find((f) => f.type === 'gap')).to.deep.equal({
      type: 'gap',
      chat_id: chatId,
      seq: bad,
      reason: 'unsupported_event',
    });

    const again = await gw.connect(bob);
    again.send({ type: 'resume', chat_id: chatId, after_seq: before!.seq - 1, request_id: 'r' });
    const resumed = await again.next((f) => f.type === 'resumed' && f.request_id === 'r');
    expect(resumed).to.include({ count: 3, last_seq: after!.seq });
    expect(seqsOf(again.frames)).to.deep.equal([String(before!.seq), `gap:${bad}`, String(after!.seq)]);

    // Once live (one subscription for the gateway, however many sockets), once in the resume's read.
    const metric = await gw.gateway.registry.getSingleMetricAsString('neonchat_gateway_drops_total');
    expect(metric).to.match(/{reason="malformed",service="gateway"} 2$/m);
  });
});
