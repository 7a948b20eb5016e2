import type { Static } from 'typebox';
import pg from 'pg';
import type { NatsConnection } from '@nats-io/nats-core';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { CONSUMERS, type ChatEvent, STREAMS, SUBJECTS, chatEventValidator, decodeJson } from '@neonchat/common/contracts';
import {
  LATENCY_BUCKETS_S,
  type PersisterEnv,
  connectNats,
  createLogger,
  createMetricsRegistry,
  provisionStreams,
  whileJetStreamSettles,
  isJetStreamApiError,
  JS_API_CODES,
  streamSettingsOf,
  inSpan,
  linkFromHeaders,
  SpanKind,
  type Logger,
  watchNatsConnection,
} from '@neonchat/common/runtime';
import { writeBatch } from './event-writer.js';
import { publishDeadLetter, type DeadLetterReason } from './dead-letter.js';
import { classifyWriteFailure, retryDelayMs } from './write-failure.js';
import { BatchLanes } from './batch-lanes.js';
import { watchStreamUsage } from './stream-usage.js';

export type PersisterConfig = Static<typeof PersisterEnv>;

export interface Persister {
  readonly registry: Registry;
  readonly nats: NatsConnection;
  start(): Promise<void>;
  /** Consuming, connected to NATS, and the last write (or probe) of PostgreSQL succeeded. */
  isReady(): boolean;
  /** Stops fetching, writes and acks every event in hand, then closes its connections. */
  close(): Promise<void>;
}

const NANOS_PER_MS = 1_000_000;
const LAG_INTERVAL_MS = 1000;

/** Links of one batch span to the spans that published its events, at most. */
const MAX_SPAN_LINKS = 128;
/** How long start-up waits for a settling JetStream cluster before giving up. */
const STARTUP_SETTLE_TIMEOUT_MS = 30_000;

/** An event of a batch with the delivery (or deliveries, if redelivered while held) it came in. */
interface Item {
  readonly seq: number;
  readonly event: ChatEvent;
  readonly msgs: JsMsg[];
}

interface Isolated {
  committed: Item[];
  /** Refused for good: dead-letter now. */
  rejected: Array<{ item: Item; reason: DeadLetterReason; error: string }>;
  /** Failed on its own: redeliver later (and dead-letter once out of deliveries). */
  retry: Array<{ item: Item; error: string }>;
  /** PostgreSQL is unavailable: these were not tried (or not committed); redeliver later. */
  unavailable: Item[];
  unavailableError?: unknown;
}

/**
 * The persister: a durable JetStream pull consumer, shared by every replica, that writes chat
 * events to PostgreSQL in batches and acks each event only after its batch committed.
 *
 * Wiring: `consume()` → `BatchLanes` (batching by chat, batch-lanes.ts) → `processBatch`
 * (decode, `writeBatch` with isolation of bad events, then ack / nak with a growing delay /
 * dead-letter). Within a replica each chat is written in arrival order; the result does not
 * depend on that order anyway (see writeBatch): replicas may interleave.
 */
export async function createPersister(config: PersisterConfig, options: { logger?: Logger } = {}): Promise<Persister> {
  const logger = options.logger ?? createLogger('persister', config.LOG_LEVEL);
  const registry = createMetricsRegistry('persister');
  const written = new Counter({
    name: 'neonchat_persister_messages_written_total',
    help: 'Chat events committed to PostgreSQL, by event type (rate() gives events/s)',
    labelNames: ['type'],
    registers: [registry],
  });
  const batchSize = new Histogram({
    name: 'neonchat_persister_batch_size',
    help: 'Events per committed batch',
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
    registers: [registry],
  });
  const writeSeconds = new Histogram({
    name: 'neonchat_persister_write_seconds',
    help: 'Time to write and commit one batch',
    buckets: LATENCY_BUCKETS_S,
    registers: [registry],
  });
  const failures = new Counter({
    name: 'neonchat_persister_batch_failures_total',
    help: 'Batch writes that failed, by kind (unavailable, rejected, failed)',
    labelNames: ['kind'],
    registers: [registry],
  });
  const redeliveries = new Counter({
    name: 'neonchat_persister_redeliveries_total',
    help: 'Events received again (an earlier delivery was nak-ed or not acked in time)',
    registers: [registry],
  });
  const deadLetters = new Counter({
    name: 'neonchat_persister_dead_letters_total',
    help: 'Events moved to the dead-letter stream, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  const parkedChanges = new Counter({
    name: 'neonchat_persister_parked_changes_total',
    help: 'Edits/deletes that arrived before their message and were parked until it lands',
    registers: [registry],
  });
  const lag = new Gauge({
    name: 'neonchat_persister_consumer_lag',
    help: 'Events in the stream not yet acked by the persister (num_pending + num_ack_pending)',
    registers: [registry],
  });
  const ackPending = new Gauge({
    name: 'neonchat_persister_consumer_ack_pending',
    help: 'Events delivered to the persister replicas and not yet acked',
    registers: [registry],
  });
  const buffered = new Gauge({
    name: 'neonchat_persister_buffered_events',
    help: 'Events received by this replica and waiting for a batch',
    registers: [registry],
    collect() {
      this.set(lanes.buffered);
    },
  });
  void buffered;

  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: config.DATABASE_POOL_MAX });
  // An idle client whose server went away emits here; without a listener the process dies.
  pool.on('error', (err) => logger.warn({ err }, 'idle PostgreSQL connection lost'));
  const nc = await connectNats({ url: config.NATS_URL, name: 'neonchat-persister', logger });
  watchNatsConnection(registry, nc);
  // Replicas often start together with freshly started NATS nodes: while the JetStream cluster
  // settles (no meta leader yet, requests timing out) the set-up is tried again, not given up.
  const settle = { timeoutMs: STARTUP_SETTLE_TIMEOUT_MS, logger };
  await whileJetStreamSettles('provisioning the streams', () => provisionStreams(nc, streamSettingsOf(config)), settle);
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  // Unlimited deliveries on the server: when it gives up on an event it drops it silently, so
  // an outage of PostgreSQL longer than N retries would lose acked messages. The limit of
  // PERSISTER_MAX_DELIVER is applied here, to events that fail on their own (dead-lettered).
  const tuning = {
    ack_wait: config.PERSISTER_ACK_WAIT_S * 1000 * NANOS_PER_MS,
    max_ack_pending: config.PERSISTER_MAX_ACK_PENDING,
    max_deliver: -1,
  };
  const ensureConsumer = async (): Promise<void> => {
    try {
      const existing = await jsm.consumers.info(STREAMS.chatEvents, CONSUMERS.persister);
      // A consumer made by an earlier version has the filter `chat.*.events`: it goes (the
      // client merges the given fields into the current config, so `undefined` drops it), and
      // its place in the stream stays (an update keeps the consumer's state).
      const unfilter = existing.config.filter_subject ? { filter_subject: undefined } : {};
      await jsm.consumers.update(STREAMS.chatEvents, CONSUMERS.persister, { ...tuning, ...unfilter });
    } catch (err) {
      if (!isJetStreamApiError(err, JS_API_CODES.ConsumerNotFound)) throw err;
      await jsm.consumers
        .add(STREAMS.chatEvents, {
          durable_name: CONSUMERS.persister,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          // No filter: the stream holds only `chat.*.events`, so a filter would select
          // everything anyway, and nats-server 2.9 counts a filtered consumer's pending events
          // by scanning the stream's blocks. Behind a backlog of 40,000 events each consumer
          // info (the lag gauge asks every second) took 35-50 ms of nats-server's one thread,
          // against under 1 ms unfiltered (docs/BENCHMARKS.md, session 9).
          ...tuning,
        })
        .catch(async (addErr: unknown) => {
          // Another replica created it between our info and add: adopt its settings.
          if (!isJetStreamApiError(addErr, JS_API_CODES.ConsumerAlreadyExists, JS_API_CODES.ConsumerNameInUse)) throw addErr;
          await jsm.consumers.update(STREAMS.chatEvents, CONSUMERS.persister, tuning);
        });
    }
  };
  await whileJetStreamSettles('setting up the persister consumer', ensureConsumer, settle);
  const consumer = await whileJetStreamSettles(
    'reading the persister consumer',
    () => js.consumers.get(STREAMS.chatEvents, CONSUMERS.persister),
    settle,
  );

  let messages: ConsumerMessages | undefined;
  let unavailableInARow = 0;
  let dbHealthy = true;
  let closing = false;

  function parse(msgs: readonly JsMsg[]): { items: Item[]; malformed: Array<{ msg: JsMsg; error: string }> } {
    const bySeq = new Map<number, Item>();
    const malformed: Array<{ msg: JsMsg; error: string }> = [];
    for (const m of msgs) {
      const held = bySeq.get(m.seq);
      if (held) {
        held.msgs.push(m);
        continue;
      }
      const event = decodeJson(m.data);
      if (event === undefined) {
        malformed.push({ msg: m, error: 'invalid JSON' });
        continue;
      }
      if (!chatEventValidator.check(event)) {
        malformed.push({ msg: m, error: 'not a chat event' });
        continue;
      }
      if (m.subject !== SUBJECTS.chatEvents(event.chat_id)) {
        malformed.push({ msg: m, error: 'chat_id differs from the subject' });
        continue;
      }
      bySeq.set(m.seq, { seq: m.seq, event, msgs: [m] });
    }
    return { items: [...bySeq.values()], malformed };
  }

  /**
   * Writes `items`; when the write is refused, splits the batch in halves (and so on) so the
   * good events commit and only the bad one is singled out. An unavailable database stops
   * the splitting: the rest waits for a redelivery.
   */
  async function writeIsolating(items: Item[], out: Isolated): Promise<void> {
    if (!items.length) return;
    if (out.unavailableError !== undefined) {
      out.unavailable.push(...items);
      return;
    }
    const started = process.hrtime.bigint();
    try {
      const outcome = await writeBatch(pool, items);
      writeSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      if (outcome.parked) parkedChanges.inc(outcome.parked);
      for (const item of items) {
        if (outcome.missingChats.has(item.event.chat_id)) {
          out.rejected.push({ item, reason: 'chat_not_found', error: `chat ${item.event.chat_id} does not exist` });
        } else out.committed.push(item);
      }
      return;
    } catch (err) {
      const kind = classifyWriteFailure(err);
      failures.inc({ kind });
      if (kind === 'unavailable') {
        out.unavailableError = err;
        out.unavailable.push(...items);
        return;
      }
      if (items.length === 1) {
        const item = items[0]!;
        const error = err instanceof Error ? err.message : String(err);
        if (kind === 'rejected') out.rejected.push({ item, reason: 'rejected', error });
        else out.retry.push({ item, error });
        return;
      }
      logger.warn({ err, size: items.length, kind }, 'batch refused, splitting it to single out the bad events');
      const half = Math.ceil(items.length / 2);
      await writeIsolating(items.slice(0, half), out);
      await writeIsolating(items.slice(half), out);
    }
  }

  async function deadLetter(msg: JsMsg, reason: DeadLetterReason, error: string): Promise<void> {
    try {
      await publishDeadLetter(js, msg, reason, error);
      msg.term();
      deadLetters.inc({ reason });
      logger.error({ seq: msg.seq, subject: msg.subject, reason, error, deliveries: msg.info.deliveryCount }, 'event dead-lettered');
    } catch (err) {
      const delayMs = retryDelayMs(msg.info.deliveryCount, config.PERSISTER_RETRY_BASE_MS, config.PERSISTER_RETRY_MAX_MS);
      logger.error({ err, seq: msg.seq, reason, delayMs }, 'could not dead-letter an event, will retry');
      msg.nak(delayMs);
    }
  }

  async function processBatch(msgs: JsMsg[]): Promise<void> {
    const { items, malformed } = parse(msgs);
    const out: Isolated = { committed: [], rejected: [], retry: [], unavailable: [] };
    // One span per batch, linked to the spans that published its events (the trace crosses
    // NATS in the message headers); links are capped so a large batch stays a small span. The
    // headers are decoded only for a span that records: not while nothing exports, and not for
    // a batch the sampler left out.
    await inSpan(
      'chat.events persist',
      { kind: SpanKind.CONSUMER, attributes: { 'messaging.system': 'nats', 'messaging.batch.message_count': msgs.length } },
      (span) => {
        if (span.isRecording()) {
          span.addLinks(
            msgs
              .slice(0, MAX_SPAN_LINKS)
              .map((m) => linkFromHeaders(m.headers))
              .filter((l) => l !== undefined),
          );
        }
        return writeIsolating(items, out);
      },
    );

    let count = 0;
    const byType = new Map<string, number>();
    for (const item of out.committed) {
      for (const m of item.msgs) m.ack();
      count += 1;
      byType.set(item.event.type, (byType.get(item.event.type) ?? 0) + 1);
    }
    if (count) {
      batchSize.observe(count);
      for (const [type, n] of byType) written.inc({ type }, n);
    }

    if (out.unavailableError !== undefined) {
      unavailableInARow += 1;
      dbHealthy = false;
      const delayMs = closing ? 0 : retryDelayMs(unavailableInARow, config.PERSISTER_RETRY_BASE_MS, config.PERSISTER_RETRY_MAX_MS);
      logger.error(
        { err: out.unavailableError, size: out.unavailable.length, delayMs },
        'PostgreSQL unavailable, batch will be redelivered',
      );
      for (const item of out.unavailable) for (const m of item.msgs) m.nak(delayMs);
      // Hold off further writes for as long, and hand back what waits here too, so nothing
      // sits in this replica past its ack wait while PostgreSQL is away.
      for (const m of lanes.pauseUntil(Date.now() + delayMs)) m.nak(delayMs);
    } else if (out.committed.length) {
      unavailableInARow = 0;
      dbHealthy = true;
    }

    for (const { item, error } of out.retry) {
      const deliveries = Math.min(...item.msgs.map((m) => m.info.deliveryCount));
      if (deliveries >= config.PERSISTER_MAX_DELIVER) {
        for (const m of item.msgs) await deadLetter(m, 'max_deliveries', error);
      } else {
        const delayMs = retryDelayMs(deliveries, config.PERSISTER_RETRY_BASE_MS, config.PERSISTER_RETRY_MAX_MS);
        logger.warn({ seq: item.seq, error, deliveries, delayMs }, 'event failed on its own, will retry');
        for (const m of item.msgs) m.nak(delayMs);
      }
    }
    for (const { item, reason, error } of out.rejected) for (const m of item.msgs) await deadLetter(m, reason, error);
    for (const { msg, error } of malformed) await deadLetter(msg, 'malformed', error);
  }

  const lanes = new BatchLanes<JsMsg>(
    {
      lanes: config.PERSISTER_WRITE_CONCURRENCY,
      batchSize: config.PERSISTER_BATCH_SIZE,
      batchWaitMs: config.PERSISTER_BATCH_WAIT_MS,
    },
    (m) => m.subject,
    processBatch,
    // processBatch settles every message itself; reaching here is a bug: let the ack wait
    // redeliver the batch rather than lose track of it.
    (err, size) => logger.error({ err, size }, 'batch processing crashed'),
  );

  function receive(m: JsMsg): void {
    if (m.info.deliveryCount > 1) redeliveries.inc();
    lanes.add(m);
  }

  async function refreshLag(): Promise<void> {
    try {
      const info = await consumer.info(false);
      lag.set(info.num_pending + info.num_ack_pending);
      ackPending.set(info.num_ack_pending);
    } catch (err) {
      logger.debug({ err }, 'consumer info unavailable');
    }
    if (!dbHealthy && lanes.writing === 0) {
      // No batch to prove PostgreSQL is back: ask it directly so readiness recovers.
      try {
        await pool.query('select 1');
        dbHealthy = true;
        unavailableInARow = 0;
      } catch {
        // still down; the next tick asks again
      }
    }
  }
  const lagTimer = setInterval(() => void refreshLag(), LAG_INTERVAL_MS);
  lagTimer.unref();
  const streamUsage = watchStreamUsage(registry, jsm, logger);

  return {
    registry,
    nats: nc,
    isReady: () => !closing && !nc.isClosed() && messages !== undefined && dbHealthy,
    async start() {
      messages = await consumer.consume({
        // Enough in flight to keep every write slot busy with full batches.
        max_messages: Math.min(config.PERSISTER_BATCH_SIZE * (config.PERSISTER_WRITE_CONCURRENCY + 1), config.PERSISTER_MAX_ACK_PENDING),
        callback: receive,
      });
    },
    async close() {
      if (closing) return;
      closing = true;
      clearInterval(lagTimer);
      streamUsage.stop();
      // Stop pulling first: what is already here is written and acked below. Events the
      // server sent after this are redelivered to another replica after the ack wait.
      await messages?.close();
      await lanes.flush();
      await nc.drain().catch((err: unknown) => logger.error({ err }, 'nats drain failed'));
      await pool.end();
    },
  };
}
