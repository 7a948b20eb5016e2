import { expect } from 'chai';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/nats-core';
import { PubHeaders, jetstreamManager } from '@nats-io/jetstream';
import {
  ChatEventPublisher,
  NeonError,
  ORIGIN_CONNECTION_HEADER,
  STREAMS,
  SUBJECTS,
  StreamPublishError,
  StreamPublisher,
  connectNats,
  createLogger,
  uuidv7,
  type ChatEvent,
} from '@neonchat/common';
import { startNats, waitFor, type RunningServer } from '@neonchat/common/testing';

const logger = createLogger('test', 'silent');

function withMsgId(id: string) {
  const h = natsHeaders();
  h.set(PubHeaders.MsgIdHdr, id);
  return h;
}

async function rejection(promise: Promise<unknown>): Promise<StreamPublishError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(StreamPublishError);
    return err as StreamPublishError;
  }
  throw new Error('expected the publish to be rejected');
}

describe('StreamPublisher on nats-server @integration', () => {
  let server: RunningServer;
  let nc: NatsConnection;

  before(async () => {
    server = await startNats();
    nc = await connectNats({ url: server.url, name: 'stream-publisher-test', logger });
  });

  after(async () => {
    await nc?.close();
    await server?.stop();
  });

  it('resolves each pipelined publish with its own stored sequence, once the stream stored it', async () => {
    const publisher = new StreamPublisher(nc, { timeoutMs: 5000 });
    const chatId = uuidv7();
    const acks = await Promise.all(Array.from({ length: 500 }, (_, i) => publisher.publish(SUBJECTS.chatEvents(chatId), `m${i}`)));
    const seqs = acks.map((a) => a.seq);
    expect(new Set(seqs).size).to.equal(500);
    // Published in this order on one connection: stored in this order.
    expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b));
    expect(acks.every((a) => a.stream === STREAMS.chatEvents && !a.duplicate)).to.equal(true);
    expect(publisher.inFlight).to.equal(0);
    const jsm = await jetstreamManager(nc);
    const last = await jsm.streams.getMessage(STREAMS.chatEvents, { seq: seqs[499]! });
    expect(last?.string()).to.equal('m499');
  });

  it('keeps Nats-Msg-Id deduplication: a resend is acked as a duplicate of the first copy', async () => {
    const publisher = new StreamPublisher(nc, { timeoutMs: 5000 });
    const subject = SUBJECTS.chatEvents(uuidv7());
    const id = uuidv7();
    const first = await publisher.publish(subject, 'once', withMsgId(id));
    const again = await publisher.publish(subject, 'once', withMsgId(id));
    expect(first.duplicate).to.equal(false);
    expect(again.duplicate).to.equal(true);
    expect(again.seq).to.equal(first.seq);
  });

  it('rejects with no_stream when no stream takes the subject, without waiting for the timeout', async () => {
    const publisher = new StreamPublisher(nc, { timeoutMs: 10_000 });
    const started = performance.now();
    const err = await rejection(publisher.publish(`nostream.${uuidv7()}`, 'x'));
    expect(err.reason).to.equal('no_stream');
    expect(performance.now() - started).to.be.below(5000);
  });

  it('rejects with refused and the JetStream code when the stream refuses it', async () => {
    const publisher = new StreamPublisher(nc, { timeoutMs: 5000 });
    const h = natsHeaders();
    h.set(PubHeaders.ExpectedStreamHdr, 'SOME_OTHER_STREAM');
    const err = await rejection(publisher.publish(SUBJECTS.chatEvents(uuidv7()), 'x', h));
    expect(err.reason).to.equal('refused');
    expect(err.code).to.equal(10060);
  });

  it('rejects with timeout when nothing answers in time, and forgets the request', async () => {
    const subject = `silent.${uuidv7()}`;
    // A subscriber that never replies: the server sees interest, so no "no responders" either.
    const silent = nc.subscribe(subject);
    await nc.flush();
    const publisher = new StreamPublisher(nc, { timeoutMs: 200 });
    expect(publisher.oldestInFlightAt()).to.equal(undefined);
    const started = performance.now();
    const first = rejection(publisher.publish(subject, 'a'));
    await new Promise((r) => setTimeout(r, 20));
    const second = rejection(publisher.publish(subject, 'b'));
    // The oldest waiting publish is the first, made at `started` (give or take the clock's grain).
    expect(publisher.oldestInFlightAt()).to.be.within(started - 1, started + 5);
    const errs = await Promise.all([first, second]);
    const took = performance.now() - started;
    expect(errs.map((e) => e.reason)).to.deep.equal(['timeout', 'timeout']);
    expect(took).to.be.at.least(195);
    expect(publisher.inFlight).to.equal(0);
    expect(publisher.oldestInFlightAt()).to.equal(undefined);
    silent.unsubscribe();
  });

  it('rejects what is in flight and what comes later once the connection is closed', async () => {
    const own = await connectNats({ url: server.url, name: 'closing', logger });
    const subject = `silent.${uuidv7()}`;
    own.subscribe(subject);
    await own.flush();
    const publisher = new StreamPublisher(own, { timeoutMs: 30_000 });
    const inFlight = rejection(publisher.publish(subject, 'a'));
    await own.close();
    expect((await inFlight).reason).to.equal('closed');
    expect((await rejection(publisher.publish(subject, 'b'))).reason).to.equal('closed');
  });

  it('ChatEventPublisher: stores with the dedup id, and maps a failure to `unavailable` with its cause (deletes the stream: last)', async () => {
    const jsm = await jetstreamManager(nc);
    const publisher = new ChatEventPublisher(nc, jsm, 5000);
    const event: ChatEvent = {
      type: 'message.created',
      id: uuidv7(),
      chat_id: uuidv7(),
      sender_id: uuidv7(),
      text: 'hello',
      created_at: new Date().toISOString(),
    };
    const ack = await publisher.publish(event, 'dedup-1', 'conn-1');
    const stored = await jsm.streams.getMessage(STREAMS.chatEvents, { seq: ack.seq });
    expect(stored?.header.get(PubHeaders.MsgIdHdr)).to.equal('dedup-1');
    expect(stored?.header.get(ORIGIN_CONNECTION_HEADER)).to.equal('conn-1');
    expect(await publisher.stored(ack.seq)).to.deep.equal(event);
    expect((await publisher.publish(event, 'dedup-1', 'conn-1')).duplicate).to.equal(true);

    // Without the stream nothing takes the subject: the client is told `unavailable`.
    await jsm.streams.delete(STREAMS.chatEvents);
    const err = await publisher.publish(event, 'dedup-2').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(NeonError);
    expect((err as NeonError).code).to.equal('unavailable');
    expect((err as NeonError).cause).to.be.instanceOf(StreamPublishError);
    expect(((err as NeonError).cause as StreamPublishError).reason).to.equal('no_stream');
  });
});

describe('StreamPublisher across a NATS restart @integration', () => {
  let server: RunningServer;

  before(async () => {
    server = await startNats();
  });

  after(async () => {
    await server?.stop();
  });

  it('publishes again after the server comes back, and a resend of an unanswered publish is deduplicated', async () => {
    const nc = await connectNats({ url: server.url, name: 'restart', logger });
    try {
      const publisher = new StreamPublisher(nc, { timeoutMs: 300 });
      const subject = SUBJECTS.chatEvents(uuidv7());
      const before = await publisher.publish(subject, 'before', withMsgId('r-0'));
      expect(before.duplicate).to.equal(false);

      await server.kill();
      // Buffered by the client while disconnected: it times out, it may or may not be stored.
      const lost = await rejection(publisher.publish(subject, 'during', withMsgId('r-1')));
      expect(lost.reason).to.equal('timeout');
      await server.restart();

      const after = await waitFor(
        async () =>
          publisher.publish(subject, 'during', withMsgId('r-1')).then(
            (ack) => ack,
            () => undefined,
          ),
        { intervalMs: 100, timeoutMs: 15_000, what: 'a publish acked after the restart' },
      );
      expect(after.seq).to.be.greaterThan(before.seq);
      // Once stored, a further resend is a duplicate of the same sequence.
      const again = await publisher.publish(subject, 'during', withMsgId('r-1'));
      expect(again.duplicate).to.equal(true);
      expect(again.seq).to.equal(after.seq);
      expect(publisher.inFlight).to.equal(0);
    } finally {
      await nc.close();
    }
  });
});
