import type { Static } from 'typebox';
import pg from 'pg';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { Registry } from 'prom-client';
import { CONSUMERS, STREAMS } from '@neonchat/common/contracts';
import {
  type PersisterEnv,
  connectNats,
  createLogger,
  createMetricsRegistry,
  provisionStreams,
  whileJetStreamSettles,
  streamSettingsOf,
  type Logger,
  watchNatsConnection,
} from '@neonchat/common/runtime';
import { writeBatch } from './event-writer.js';
import { publishDeadLetter } from './dead-letter.js';
import { BatchLanes } from './batch-lanes.js';
import { BatchProcessor } from './batch-processor.js';
import { DatabaseHealth } from './database-health.js';
import { LagRefresher } from './lag-refresher.js';
import { ensurePersisterConsumer } from './persister-consumer.js';
import { createPersisterMetrics } from './persister-metrics.js';
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

const LAG_INTERVAL_MS = 1000;
/** How long start-up waits for a settling JetStream cluster before giving up. */
const STARTUP_SETTLE_TIMEOUT_MS = 30_000;

/**
 * The persister: a durable JetStream pull consumer, shared by every replica, that writes chat
 * events to PostgreSQL in batches and acks each event only after its batch committed.
 *
 * Wiring only: `consume()` → `BatchLanes` (batching by chat, batch-lanes.ts) → `BatchProcessor`
 * (batch-processor.ts: decode, `writeBatch` with isolation of bad events, then ack / nak with
 * a growing delay / dead-letter); `LagRefresher` (lag-refresher.ts) keeps the lag gauges and
 * probes PostgreSQL while it is down; the consumer's settings are in persister-consumer.ts.
 * Within a replica each chat is written in arrival order; the result does not depend on that
 * order anyway (see writeBatch): replicas may interleave.
 */
export async function createPersister(config: PersisterConfig, options: { logger?: Logger } = {}): Promise<Persister> {
  const logger = options.logger ?? createLogger('persister', config.LOG_LEVEL);
  const registry = createMetricsRegistry('persister');
  const metrics = createPersisterMetrics(registry, () => lanes.buffered);

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
  await whileJetStreamSettles('setting up the persister consumer', () => ensurePersisterConsumer(jsm, config), settle);
  const consumer = await whileJetStreamSettles(
    'reading the persister consumer',
    () => js.consumers.get(STREAMS.chatEvents, CONSUMERS.persister),
    settle,
  );

  let messages: ConsumerMessages | undefined;
  let closing = false;
  const health = new DatabaseHealth();
  const processor: BatchProcessor = new BatchProcessor({
    write: (items) => writeBatch(pool, items),
    publishDeadLetter: (msg, reason, error) => publishDeadLetter(js, msg, reason, error),
    pauseUntil: (at): JsMsg[] => lanes.pauseUntil(at),
    isClosing: () => closing,
    health,
    metrics,
    settings: config,
    logger,
  });
  const lanes: BatchLanes<JsMsg> = new BatchLanes<JsMsg>(
    {
      lanes: config.PERSISTER_WRITE_CONCURRENCY,
      batchSize: config.PERSISTER_BATCH_SIZE,
      batchWaitMs: config.PERSISTER_BATCH_WAIT_MS,
    },
    (m) => m.subject,
    (batch): Promise<void> => processor.process(batch),
    // The processor settles every message itself; reaching here is a bug: let the ack wait
    // redeliver the batch rather than lose track of it.
    (err, size) => logger.error({ err, size }, 'batch processing crashed'),
  );
  const lag = new LagRefresher({
    consumerInfo: () => consumer.info(false),
    writing: () => lanes.writing,
    probe: () => pool.query('select 1'),
    health,
    metrics,
    logger,
  });
  lag.start(LAG_INTERVAL_MS);
  const streamUsage = watchStreamUsage(registry, jsm, logger);

  function receive(m: JsMsg): void {
    if (m.info.deliveryCount > 1) metrics.redeliveries.inc();
    lanes.add(m);
  }

  return {
    registry,
    nats: nc,
    isReady: () => !closing && !nc.isClosed() && messages !== undefined && health.healthy,
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
      lag.stop();
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
