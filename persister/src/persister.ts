import type { Static } from 'typebox';
import pg from 'pg';
import type { NatsConnection } from '@nats-io/nats-core';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import {
  CONSUMERS,
  LATENCY_BUCKETS_S,
  type PersisterEnv,
  STREAMS,
  SUBJECTS,
  chatEventValidator,
  connectNats,
  createLogger,
  createMetricsRegistry,
  ensureStreams,
  type Logger,
} from '@neonchat/common';
import { writeBatch, type SequencedEvent } from './event-writer.js';

export type PersisterConfig = Static<typeof PersisterEnv>;

export interface Persister {
  readonly registry: Registry;
  readonly nats: NatsConnection;
  start(): Promise<void>;
  isReady(): boolean;
  /** Finishes and acks the batch in hand, then closes. */
  close(): Promise<void>;
}

const NANOS_PER_MS = 1_000_000;

/**
 * The persister: a durable JetStream pull consumer that writes chat events to PostgreSQL in
 * batches and acks each message only after its batch committed.
 */
export async function createPersister(config: PersisterConfig, options: { logger?: Logger } = {}): Promise<Persister> {
  const logger = options.logger ?? createLogger('persister', config.LOG_LEVEL);
  const registry = createMetricsRegistry('persister');
  const written = new Counter({
    name: 'neonchat_persister_messages_written_total',
    help: 'Chat events committed to PostgreSQL',
    registers: [registry],
  });
  const batchSize = new Histogram({
    name: 'neonchat_persister_batch_size',
    help: 'Events per batch',
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
    registers: [registry],
  });
  const writeSeconds = new Histogram({
    name: 'neonchat_persister_write_seconds',
    help: 'Batch transaction time',
    buckets: LATENCY_BUCKETS_S,
    registers: [registry],
  });
  const failures = new Counter({
    name: 'neonchat_persister_batch_failures_total',
    help: 'Batches that failed and were nak-ed',
    registers: [registry],
  });
  const pending = new Gauge({
    name: 'neonchat_persister_consumer_pending',
    help: 'Events in the stream not yet delivered to the persister',
    registers: [registry],
  });

  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: config.DATABASE_POOL_MAX });
  const nc = await connectNats({ url: config.NATS_URL, name: 'neonchat-persister', logger });
  const streamSettings = {
    replicas: config.NATS_STREAM_REPLICAS,
    maxAgeSeconds: config.NATS_STREAM_MAX_AGE_S,
    maxBytes: config.NATS_STREAM_MAX_BYTES,
    duplicateWindowSeconds: config.NATS_DUPLICATE_WINDOW_S,
  };
  await ensureStreams(nc, streamSettings);
  const jsm = await jetstreamManager(nc);
  const consumerConfig = {
    durable_name: CONSUMERS.persister,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: SUBJECTS.chatEventsWildcard,
    ack_wait: config.PERSISTER_ACK_WAIT_S * 1000 * NANOS_PER_MS,
    max_ack_pending: config.PERSISTER_MAX_ACK_PENDING,
    max_deliver: config.PERSISTER_MAX_DELIVER,
  };
  try {
    await jsm.consumers.info(STREAMS.chatEvents, CONSUMERS.persister);
    await jsm.consumers.update(STREAMS.chatEvents, CONSUMERS.persister, {
      ack_wait: consumerConfig.ack_wait,
      max_ack_pending: consumerConfig.max_ack_pending,
      max_deliver: consumerConfig.max_deliver,
    });
  } catch {
    await jsm.consumers.add(STREAMS.chatEvents, consumerConfig);
  }
  const consumer = await jetstream(nc).consumers.get(STREAMS.chatEvents, CONSUMERS.persister);

  let messages: ConsumerMessages | undefined;
  let buffer: JsMsg[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();
  let failuresInARow = 0;
  let stopping = false;

  async function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const taken = buffer;
    buffer = [];
    if (!taken.length) return;
    const batch: SequencedEvent[] = [];
    for (const m of taken) {
      const event = safeJson(m.data);
      if (chatEventValidator.check(event)) batch.push({ seq: m.seq, event });
      else {
        logger.error({ seq: m.seq, subject: m.subject }, 'malformed chat event, terminating it');
        m.term('malformed');
      }
    }
    const started = process.hrtime.bigint();
    try {
      await writeBatch(pool, batch);
      for (const m of taken) m.ack();
      written.inc(batch.length);
      batchSize.observe(batch.length);
      writeSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      failuresInARow = 0;
    } catch (err) {
      failures.inc();
      failuresInARow += 1;
      // A growing delay: a bare nak would redeliver at once and spin while PostgreSQL is down.
      const delayMs = Math.min(250 * 2 ** Math.min(failuresInARow, 6), 15000);
      logger.error({ err, size: taken.length, delayMs }, 'batch write failed, will retry');
      for (const m of taken) m.nak(delayMs);
    }
  }

  function schedule(): void {
    if (buffer.length >= config.PERSISTER_BATCH_SIZE) {
      flushing = flushing.then(flush);
    } else if (!timer) {
      timer = setTimeout(() => {
        flushing = flushing.then(flush);
      }, config.PERSISTER_BATCH_WAIT_MS);
    }
  }

  const lagTimer = setInterval(() => {
    consumer
      .info(true)
      .then((info) => pending.set(info.num_pending))
      .catch(() => undefined);
  }, 2000);
  lagTimer.unref();

  return {
    registry,
    nats: nc,
    isReady: () => !stopping && !nc.isClosed() && messages !== undefined,
    async start() {
      messages = await consumer.consume({
        max_messages: config.PERSISTER_BATCH_SIZE * 2,
        callback: (m) => {
          buffer.push(m);
          schedule();
        },
      });
    },
    async close() {
      stopping = true;
      clearInterval(lagTimer);
      messages?.stop();
      flushing = flushing.then(flush);
      await flushing;
      await nc.drain().catch((err: unknown) => logger.error({ err }, 'nats drain failed'));
      await pool.end();
    },
  };
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}
