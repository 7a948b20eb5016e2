import { expect } from 'chai';
import { SUBJECTS, type ChatEvent } from '@neonchat/common';
import { uuidv7 } from '@neonchat/common/runtime';
import { waitFor } from '@neonchat/common/testing';
import type { ChatBus } from '../../src/bus/chat-bus.js';

export interface BusUnderTest {
  readonly bus: ChatBus;
  /** Stores bytes as the chat's event by other means than the bus (another writer, a newer version). */
  storeRaw(chatId: string, data: string): Promise<number>;
  close(): Promise<void>;
}

interface LiveSeen {
  readonly seq: number;
  readonly lastSeq: number | undefined;
  readonly text: string;
  readonly origin: string | undefined;
}

const decoder = new TextDecoder();

function created(chatId: string, text: string): ChatEvent {
  return { type: 'message.created', id: uuidv7(), chat_id: chatId, sender_id: uuidv7(), text, created_at: new Date().toISOString() };
}

/**
 * The rules every ChatBus keeps, run against each implementation (NATS JetStream, memory).
 * Chats are fresh ids per test, so a stream shared with other suites does not disturb the checks.
 */
export function chatBusContract(name: string, make: () => Promise<BusUnderTest>): void {
  describe(`chat bus contract: ${name}`, () => {
    const opened: BusUnderTest[] = [];
    const open = async () => {
      const b = await make();
      opened.push(b);
      return b;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((b) => b.close()));
    });

    /** Live events of a chat as they arrive. */
    const follow = (bus: ChatBus, chatId: string) => {
      const seen: LiveSeen[] = [];
      const typing: Array<{ text: string; origin: string | undefined }> = [];
      const sub = bus.subscribeLive(chatId, {
        event: (seq, lastSeq, data, origin) => seen.push({ seq, lastSeq, text: decoder.decode(data), origin }),
        typing: (data, origin) => typing.push({ text: decoder.decode(data), origin }),
      });
      return { seen, typing, sub };
    };

    it('acks a publish once stored, and stores a resend with the same dedup id once (its ack points at the first)', async () => {
      const { bus } = await open();
      const chatId = uuidv7();
      const first = await bus.events.publish(created(chatId, 'a'), `${chatId}:u:r1`);
      const second = await bus.events.publish(created(chatId, 'b'), `${chatId}:u:r2`);
      const resend = await bus.events.publish(created(chatId, 'a again'), `${chatId}:u:r1`);
      expect(first.duplicate).to.equal(false);
      expect(second.seq).to.be.greaterThan(first.seq);
      expect({ seq: resend.seq, duplicate: resend.duplicate }).to.deep.equal({ seq: first.seq, duplicate: true });
      const stored = await bus.events.stored(first.seq);
      expect(stored?.type === 'message.created' && stored.text).to.equal('a');
    });

    it("republishes a chat's stored events live, in order, with the chat's previous seq and the origin; only that chat's", async () => {
      const { bus } = await open();
      const [chatId, other] = [uuidv7(), uuidv7()];
      const live = follow(bus, chatId);
      await bus.flush();
      const a = await bus.events.publish(created(chatId, 'one'), undefined, 'conn-1');
      await bus.events.publish(created(other, 'elsewhere'));
      const b = await bus.events.publish(created(chatId, 'two'));
      await waitFor(() => live.seen.length >= 2, { what: 'two live events' });
      expect(live.seen.map((e) => [e.seq, e.origin])).to.deep.equal([
        [a.seq, 'conn-1'],
        [b.seq, undefined],
      ]);
      expect(live.seen[1]!.lastSeq).to.equal(a.seq);
      expect(live.seen[0]!.lastSeq ?? 0).to.equal(0);
      expect(JSON.parse(live.seen[1]!.text)).to.include({ type: 'message.created', text: 'two' });
      live.sub.unsubscribe();
      await bus.flush();
      await bus.events.publish(created(chatId, 'after'));
      const probe = follow(bus, chatId);
      await bus.flush();
      const c = await bus.events.publish(created(chatId, 'probe'));
      await waitFor(() => probe.seen.some((e) => e.seq === c.seq), { what: 'the probe event' });
      expect(live.seen, 'nothing after unsubscribe').to.have.length(2);
      probe.sub.unsubscribe();
    });

    it('carries typing frames to the chat’s live handlers with the origin, never stored', async () => {
      const { bus } = await open();
      const chatId = uuidv7();
      const live = follow(bus, chatId);
      await bus.flush();
      bus.publishTyping(chatId, '{"type":"typing"}', 'conn-t');
      await waitFor(() => live.typing.length === 1, { what: 'the typing frame' });
      expect(live.typing[0]).to.deep.equal({ text: '{"type":"typing"}', origin: 'conn-t' });
      expect(live.seen).to.have.length(0);
      const read = await bus.readRange(chatId, { fromSeq: 1 }, () => undefined);
      expect(read).to.deep.equal({ tooFar: false, count: 0, lastSeq: 0 });
      live.sub.unsubscribe();
    });

    it('reads a range of the chat as stored (undecodable bytes too), from a seq, and refuses past maxEvents without reading', async () => {
      const b = await open();
      const chatId = uuidv7();
      const seqs: number[] = [];
      for (const text of ['r0', 'r1', 'r2']) seqs.push((await b.bus.events.publish(created(chatId, text))).seq);
      const raw = await b.storeRaw(chatId, '{"type":"message.pinned","chat_id":"x"}');
      const got: Array<[number, string]> = [];
      const result = await b.bus.readRange(chatId, { fromSeq: seqs[1]! }, (seq, data) => {
        got.push([seq, decoder.decode(data)]);
      });
      expect(result).to.deep.equal({ tooFar: false, count: 3, lastSeq: raw });
      expect(got.map(([seq]) => seq)).to.deep.equal([seqs[1], seqs[2], raw]);
      expect(got[2]![1]).to.equal('{"type":"message.pinned","chat_id":"x"}');
      const far = await b.bus.readRange(chatId, { fromSeq: 1, maxEvents: 2 }, () => expect.fail('read past maxEvents'));
      expect(far).to.deep.equal({ tooFar: true, pending: 4 });
      const since = await b.bus.readRange(chatId, { fromTime: new Date(Date.now() - 60_000) }, () => undefined);
      expect(since).to.include({ tooFar: false, count: 4 });
    });

    it('delivers core messages by subject with wildcards, and drops publishes once closed', async () => {
      const { bus } = await open();
      const chatId = uuidv7();
      const got: string[] = [];
      const sub = bus.subscribe(SUBJECTS.membershipAll, (data) => got.push(decoder.decode(data)));
      await bus.flush();
      bus.publish(SUBJECTS.membership(chatId), '{"n":1}');
      bus.publish(SUBJECTS.presenceConnect, '{"n":2}');
      await bus.flush();
      await waitFor(() => got.length === 1, { what: 'the membership message' });
      expect(got).to.deep.equal(['{"n":1}']);
      sub.unsubscribe();
      expect(bus.usable).to.equal(true);
      await bus.close();
      expect(bus.usable).to.equal(false);
      expect(() => bus.publish(SUBJECTS.membership(chatId), '{}')).not.to.throw();
    });
  });
}
