import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_S } from '@neonchat/common/runtime';

/** Every metric the persister declares, in one place (names and help are the public contract). */
export interface PersisterMetrics {
  readonly written: Counter<'type'>;
  readonly batchSize: Histogram;
  readonly writeSeconds: Histogram;
  readonly failures: Counter<'kind'>;
  readonly redeliveries: Counter;
  readonly deadLetters: Counter<'reason'>;
  readonly parkedChanges: Counter;
  readonly lag: Gauge;
  readonly ackPending: Gauge;
  readonly buffered: Gauge;
}

/** Registers the persister's metrics on `registry`; `buffered` is read only when scraped. */
export function createPersisterMetrics(registry: Registry, buffered: () => number): PersisterMetrics {
  const registers = [registry];
  return {
    written: new Counter({
      name: 'neonchat_persister_messages_written_total',
      help: 'Chat events committed to PostgreSQL, by event type (rate() gives events/s)',
      labelNames: ['type'],
      registers,
    }),
    batchSize: new Histogram({
      name: 'neonchat_persister_batch_size',
      help: 'Events per committed batch',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers,
    }),
    writeSeconds: new Histogram({
      name: 'neonchat_persister_write_seconds',
      help: 'Time to write and commit one batch',
      buckets: LATENCY_BUCKETS_S,
      registers,
    }),
    failures: new Counter({
      name: 'neonchat_persister_batch_failures_total',
      help: 'Batch writes that failed, by kind (unavailable, rejected, failed)',
      labelNames: ['kind'],
      registers,
    }),
    redeliveries: new Counter({
      name: 'neonchat_persister_redeliveries_total',
      help: 'Events received again (an earlier delivery was nak-ed or not acked in time)',
      registers,
    }),
    deadLetters: new Counter({
      name: 'neonchat_persister_dead_letters_total',
      help: 'Events moved to the dead-letter stream, by reason',
      labelNames: ['reason'],
      registers,
    }),
    parkedChanges: new Counter({
      name: 'neonchat_persister_parked_changes_total',
      help: 'Edits/deletes that arrived before their message and were parked until it lands',
      registers,
    }),
    lag: new Gauge({
      name: 'neonchat_persister_consumer_lag',
      help: 'Events in the stream not yet acked by the persister (num_pending + num_ack_pending)',
      registers,
    }),
    ackPending: new Gauge({
      name: 'neonchat_persister_consumer_ack_pending',
      help: 'Events delivered to the persister replicas and not yet acked',
      registers,
    }),
    buffered: new Gauge({
      name: 'neonchat_persister_buffered_events',
      help: 'Events received by this replica and waiting for a batch',
      registers,
      collect() {
        this.set(buffered());
      },
    }),
  };
}
