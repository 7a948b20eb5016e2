import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { NatsConnection } from '@nats-io/nats-core';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  CONSUMERS,
  PersisterEnv,
  STREAMS,
  SUBJECTS,
  connectNats,
  createLogger,
  provisionStreams,
  streamSettingsOf,
  type ChatEvent,
  type MessageCreatedEvent,
} from '@neonchat/common';
import { freePort, startNats, testServiceConfig, waitFor, type RunningServer } from '@neonchat/common/testing';
import { createPersister, DEAD_LETTER_HEADERS, type Persister } from '@neonchat/persister';
import {
  consumerState,
  created,
  edited,
  expectedDigest,
  freshDatabase,
  messageCount,
  metricValue,
  publishAll,
  publishEvent,
  seedChats,
  storedDigest,
} from './support.js';

const PERSISTER_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('persister @integration', function () {
  this.timeout(60000);
  let nats: RunningServer;
  let nc: NatsConnection;
  let databaseUrl: string;
  let db: pg.Pool;
  let userId: string;
  let chatIds: string[];
  const running: Persister[] = [];

  async function startPersister(overrides: Record<string, string | number> = {}): Promise<Persister> {
    const persister = await createPersister(
      testServiceConfig(PersisterEnv, { NATS_URL: nats.url, DATABASE_URL: databaseUrl, PERSISTER_BATCH_SIZE: 200, ...overrides }),
    );
    running.push(persister);
    await persister.start();
    return persister;
  }

  async function stopAll(): Promise<void> {
    await Promise.all(running.splice(0).map((p) => p.close()));
  }

  beforeEach(async () => {
    // Each test has the stream, the durable consumer and the database to itself.
    nats = await startNats();
    nc = await connectNats({ url: nats.url, name: 'persister-test', logger: createLogger('test', 'silent') });
    const settings = testServiceConfig(PersisterEnv);
    await provisionStreams(nc, streamSettingsOf(settings));
    databaseUrl = await freshDatabase();
    db = new pg.Pool({ connectionString: databaseUrl, max: 4 });
    ({ userId, chatIds } = await seedChats(db, 20));
  });
  afterEach(async () => {
    await stopAll();
    await nc.close();
    await db.end();
    await nats.stop();
  });

  function messagesFor(count: number, prefix: string): MessageCreatedEvent[] {
    return Array.from({ length: count }, (_, i) => created(chatIds[i % chatIds.length]!, userId, `${prefix} ${i} ${randomUUID()}`));
  }

  it('sets up the durable consumer with explicit acks, ack wait and max ack pending, and reports its lag', async () => {
    const persister = await startPersister({ PERSISTER_ACK_WAIT_S: 7, PERSISTER_MAX_ACK_PENDING: 1234 });
    const info = await (await jetstreamManager(nc)).consumers.info(STREAMS.chatEvents, CONSUMERS.persister);
    expect(info.config.ack_policy).to.equal('explicit');
    expect(info.config.ack_wait).to.equal(7 * 1e9);
    expect(info.config.max_ack_pending).to.equal(1234);
    expect(info.config.max_deliver).to.equal(-1);
    // Unfiltered: the stream holds only chat events, and nats-server 2.9 counts a filtered
    // consumer's pending events by scanning the stream (slow behind a backlog).
    expect(info.config.filter_subject ?? '').to.equal('');
    const stream = await (await jetstreamManager(nc)).streams.info(STREAMS.chatEvents);
    expect(stream.config.max_age).to.equal(testServiceConfig(PersisterEnv).NATS_STREAM_MAX_AGE_S * 1e9);
    expect(stream.config.max_bytes).to.equal(testServiceConfig(PersisterEnv).NATS_STREAM_MAX_BYTES);

    await publishAll(nc, messagesFor(300, 'lag'));
    await waitFor(async () => (await messageCount(db, chatIds)) === 300, { what: '300 messages written' });
    await waitFor(async () => (await metricValue(persister.registry, 'neonchat_persister_consumer_lag')) === 0, { what: 'lag back to 0' });
    expect(await metricValue(persister.registry, 'neonchat_persister_messages_written_total', 'type="message.created"')).to.equal(300);
    expect(await metricValue(persister.registry, 'neonchat_persister_batch_size_count')).to.be.greaterThan(0);
    expect(await metricValue(persister.registry, 'neonchat_persister_write_seconds_count')).to.be.greaterThan(0);
    expect(persister.isReady()).to.equal(true);
  });

  it('takes over a consumer an earlier version made with a filter: the filter goes, its place in the stream stays', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.add(STREAMS.chatEvents, {
      durable_name: CONSUMERS.persister,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: SUBJECTS.chatEventsWildcard,
      ack_wait: 30 * 1e9,
      max_deliver: -1,
    });
    // The earlier version stored and acked the first 50 events (here: acked by hand, not written).
    const before = messagesFor(50, 'acked before');
    await publishAll(nc, before);
    const fetched = await (
      await jetstream(nc).consumers.get(STREAMS.chatEvents, CONSUMERS.persister)
    ).fetch({ max_messages: 50, expires: 5000 });
    for await (const m of fetched) m.ack();
    await nc.flush();
    await waitFor(async () => (await jsm.consumers.info(STREAMS.chatEvents, CONSUMERS.persister)).ack_floor.stream_seq === 50, {
      what: 'the first 50 acked',
    });

    const after = messagesFor(40, 'after');
    await publishAll(nc, after);
    await startPersister();
    const info = await jsm.consumers.info(STREAMS.chatEvents, CONSUMERS.persister);
    expect(info.config.filter_subject ?? '').to.equal('');
    await waitFor(async () => (await messageCount(db, chatIds)) === 40, { what: 'the 40 later events written' });
    const { rows } = await db.query<{ text: string }>('select text from messages where chat_id = any($1::uuid[])', [chatIds]);
    expect(rows.map((r) => r.text).sort()).to.deep.equal(after.map((e) => e.text).sort());
    expect((await jsm.consumers.info(STREAMS.chatEvents, CONSUMERS.persister)).ack_floor.stream_seq).to.equal(90);
  });

  it('loses and duplicates nothing when a replica is killed mid-stream and another takes over', async () => {
    const events = messagesFor(6000, 'crash');
    const metricsPort = await freePort();
    // A real process, killed with SIGKILL: whatever it held unacked must come back.
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', join(PERSISTER_ROOT, 'src', 'main.ts')], {
      cwd: PERSISTER_ROOT,
      env: {
        ...process.env,
        NATS_URL: nats.url,
        DATABASE_URL: databaseUrl,
        LOG_LEVEL: 'silent',
        PERSISTER_METRICS_PORT: String(metricsPort),
        PERSISTER_BATCH_SIZE: '100',
        PERSISTER_BATCH_WAIT_MS: '5',
        PERSISTER_ACK_WAIT_S: '2',
      },
      stdio: 'ignore',
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => undefined))?.ok, {
        timeoutMs: 20000,
        what: 'child persister ready',
      });
      const publishing = publishAll(nc, events, 32);
      await waitFor(async () => (await messageCount(db, chatIds)) >= 1000, { what: 'first 1000 written' });
      child.kill('SIGKILL');
      await exited;
      const seqs = await publishing;
      expect(await messageCount(db, chatIds)).to.be.lessThan(events.length);

      await startPersister({ PERSISTER_ACK_WAIT_S: 2 });
      await waitFor(async () => (await messageCount(db, chatIds)) === events.length, { timeoutMs: 30000, what: 'every message written' });
      const expected = expectedDigest(events.map((e, i) => ({ id: e.id, seq: seqs[i]!, text: e.text })));
      expect(await storedDigest(db, chatIds)).to.deep.equal({ count: events.length, digest: expected });
      await waitFor(async () => {
        const state = await consumerState(nc);
        return state.pending === 0 && state.ackPending === 0;
      });
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('finishes and acks the batches in hand on close, then another replica resumes without loss', async () => {
    const events = messagesFor(4000, 'restart');
    const seqs = await publishAll(nc, events);
    const first = await startPersister({ PERSISTER_BATCH_SIZE: 100, PERSISTER_WRITE_CONCURRENCY: 1, PERSISTER_ACK_WAIT_S: 2 });
    await waitFor(async () => (await messageCount(db, chatIds)) >= 500, { what: 'first 500 written' });
    await first.close();
    running.splice(running.indexOf(first), 1);
    const writtenBeforeRestart = await messageCount(db, chatIds);
    // Everything written was acked and nothing unwritten was: acked = written. (Events the
    // server had sent when the replica stopped pulling stay ack-pending until the ack wait,
    // then go to the next replica.)
    await waitFor(
      async () => {
        const state = await consumerState(nc);
        return events.length - state.pending - state.ackPending === writtenBeforeRestart;
      },
      { what: 'acked = written' },
    );

    await startPersister({ PERSISTER_ACK_WAIT_S: 2 });
    await waitFor(async () => (await messageCount(db, chatIds)) === events.length, { what: 'every message written' });
    const expected = expectedDigest(events.map((e, i) => ({ id: e.id, seq: seqs[i]!, text: e.text })));
    expect(await storedDigest(db, chatIds)).to.deep.equal({ count: events.length, digest: expected });
  });

  it('keeps per-chat stream order with two replicas sharing the consumer', async () => {
    const a = await startPersister({ PERSISTER_BATCH_SIZE: 50 });
    const b = await startPersister({ PERSISTER_BATCH_SIZE: 50 });
    const firsts = messagesFor(chatIds.length, 'first');
    const events: ChatEvent[] = [...firsts];
    // Messages interleaved with edits of each chat's first message: the last edit must win.
    for (let round = 0; round < 150; round++) {
      for (const [i, chatId] of chatIds.entries()) {
        events.push(created(chatId, userId, `r${round} c${i}`));
        if (round % 10 === 0) events.push(edited(chatId, firsts[i]!.id, userId, `edit ${round}`));
      }
    }
    const seqs = await publishAll(nc, events);
    const createdCount = events.filter((e) => e.type === 'message.created').length;
    await waitFor(async () => (await messageCount(db, chatIds)) === createdCount, { timeoutMs: 30000, what: 'every message written' });
    await waitFor(async () => (await consumerState(nc)).ackPending === 0, { what: 'all acked' });

    for (const [i, chatId] of chatIds.entries()) {
      const { rows } = await db.query<{ id: string; seq: string }>('select id, seq from messages where chat_id = $1 order by seq', [
        chatId,
      ]);
      const published = events
        .map((e, k) => ({ e, seq: seqs[k]! }))
        .filter((x): x is { e: MessageCreatedEvent; seq: number } => x.e.chat_id === chatId && x.e.type === 'message.created')
        .map(({ e, seq }) => ({ id: e.id, seq: String(seq) }));
      expect(rows).to.deep.equal(published);
      const chat = await db.query<{ last_message_id: string }>('select last_message_id from chats where id = $1', [chatId]);
      expect(chat.rows[0]!.last_message_id).to.equal(published.at(-1)!.id);
      const first = await db.query<{ text: string }>('select text from messages where id = $1', [firsts[i]!.id]);
      expect(first.rows[0]!.text).to.equal('edit 140');
    }
    const byA = await metricValue(a.registry, 'neonchat_persister_messages_written_total');
    const byB = await metricValue(b.registry, 'neonchat_persister_messages_written_total');
    expect(byA, 'replica a wrote some').to.be.greaterThan(0);
    expect(byB, 'replica b wrote some').to.be.greaterThan(0);
    expect(byA + byB).to.be.at.least(events.length);
  });

  it('dead-letters poison events (unknown chat, refused text, malformed) while the rest flow', async () => {
    const persister = await startPersister({ PERSISTER_BATCH_SIZE: 64, PERSISTER_BATCH_WAIT_MS: 20 });
    const good = messagesFor(400, 'good');
    const ghostChat = randomUUID();
    const poison: ChatEvent[] = [
      created(ghostChat, userId, 'to a chat that does not exist'),
      // Valid JSON and a valid event, but PostgreSQL refuses NUL in text (SQLSTATE 22021).
      created(chatIds[0]!, userId, 'nul \u0000 inside'),
    ];
    const events = [...good.slice(0, 200), ...poison, ...good.slice(200)];
    const publishing = publishAll(nc, events, 16);
    await jetstream(nc).publish(SUBJECTS.chatEvents(chatIds[1]!), '{"type":"message.created", not json');
    await publishing;

    await waitFor(async () => (await messageCount(db, chatIds)) === good.length, { what: 'every good message written' });
    await waitFor(async () => (await metricValue(persister.registry, 'neonchat_persister_dead_letters_total')) === 3, {
      what: '3 dead letters',
    });
    expect(await metricValue(persister.registry, 'neonchat_persister_dead_letters_total', 'reason="chat_not_found"')).to.equal(1);
    expect(await metricValue(persister.registry, 'neonchat_persister_dead_letters_total', 'reason="rejected"')).to.equal(1);
    expect(await metricValue(persister.registry, 'neonchat_persister_dead_letters_total', 'reason="malformed"')).to.equal(1);

    const jsm = await jetstreamManager(nc);
    const dlq = await jsm.streams.info(STREAMS.deadLetters);
    expect(dlq.state.messages).to.equal(3);
    const ghost = await jsm.streams.getMessage(STREAMS.deadLetters, { last_by_subj: SUBJECTS.deadLetters(ghostChat) });
    expect(ghost?.header?.get(DEAD_LETTER_HEADERS.reason)).to.equal('chat_not_found');
    expect(ghost?.header?.get(DEAD_LETTER_HEADERS.subject)).to.equal(SUBJECTS.chatEvents(ghostChat));
    expect(ghost?.json<{ text: string }>().text).to.equal('to a chat that does not exist');
    await waitFor(async () => {
      const state = await consumerState(nc);
      return state.pending === 0 && state.ackPending === 0;
    });
  });

  it('dead-letters hostile stream events (10,000-deep JSON, 1e309 and -0 for strings, a 900 KiB text) and writes the rest, upper-case ids included', async () => {
    const persister = await startPersister({ PERSISTER_BATCH_SIZE: 64, PERSISTER_BATCH_WAIT_MS: 20 });
    const good = messagesFor(100, 'calm');
    const upper = created(chatIds[2]!.toUpperCase(), userId.toUpperCase(), 'upper-case ids');
    await publishAll(nc, [...good.slice(0, 50), upper]);
    const js = jetstream(nc);
    const subject = SUBJECTS.chatEvents(chatIds[3]!);
    const shaped = (fields: string) =>
      `{"type":"message.created","id":"${randomUUID()}","chat_id":"${chatIds[3]!}","sender_id":"${userId}",${fields}}`;
    const hostile = [
      '['.repeat(10_000) + ']'.repeat(10_000),
      shaped(`"text":1e309,"created_at":"${new Date().toISOString()}"`),
      shaped(`"text":-0,"created_at":"${new Date().toISOString()}"`),
      shaped(`"text":"${'x'.repeat(900 * 1024)}","created_at":"${new Date().toISOString()}"`),
    ];
    for (const body of hostile) await js.publish(subject, body);
    await publishAll(nc, good.slice(50));

    await waitFor(async () => (await messageCount(db, chatIds)) === good.length + 1, { what: 'every good message written' });
    await waitFor(async () => (await metricValue(persister.registry, 'neonchat_persister_dead_letters_total')) === hostile.length, {
      what: 'every hostile event dead-lettered',
    });
    expect(await metricValue(persister.registry, 'neonchat_persister_dead_letters_total', 'reason="malformed"')).to.equal(hostile.length);
    const { rows } = await db.query<{ chat_id: string; sender_id: string }>('select chat_id, sender_id from messages where id = $1', [
      upper.id,
    ]);
    expect(rows, 'stored under the canonical ids').to.deep.equal([{ chat_id: chatIds[2], sender_id: userId }]);
    expect(persister.isReady(), 'the persister survives').to.equal(true);
    await waitFor(async () => {
      const state = await consumerState(nc);
      return state.pending === 0 && state.ackPending === 0;
    });
  });

  it('writes a redelivered event once', async () => {
    await startPersister();
    const m = created(chatIds[0]!, userId, 'sent twice');
    await publishEvent(nc, m);
    // The same event stored again (a resend outside the dedup window): same id, no duplicate.
    await publishEvent(nc, m);
    await publishEvent(nc, created(chatIds[0]!, userId, 'marker'));
    await waitFor(async () => (await consumerState(nc)).pending === 0 && (await consumerState(nc)).ackPending === 0);
    const { rows } = await db.query<{ n: string }>('select count(*)::text as n from messages where id = $1', [m.id]);
    expect(rows[0]!.n).to.equal('1');
    expect(await messageCount(db, chatIds)).to.equal(2);
  });
});
