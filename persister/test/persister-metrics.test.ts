import { expect } from 'chai';
import { Registry } from 'prom-client';
import { createPersisterMetrics } from '@neonchat/persister';

describe('persister metrics', () => {
  it('declares every neonchat_persister_* metric once, and reads the buffered gauge when scraped', async () => {
    const registry = new Registry();
    let buffered = 3;
    createPersisterMetrics(registry, () => buffered);
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name).sort();
    expect(names).to.deep.equal([
      'neonchat_persister_batch_failures_total',
      'neonchat_persister_batch_size',
      'neonchat_persister_buffered_events',
      'neonchat_persister_consumer_ack_pending',
      'neonchat_persister_consumer_lag',
      'neonchat_persister_dead_letters_total',
      'neonchat_persister_messages_written_total',
      'neonchat_persister_parked_changes_total',
      'neonchat_persister_redeliveries_total',
      'neonchat_persister_write_seconds',
    ]);
    buffered = 17;
    expect((await registry.getSingleMetric('neonchat_persister_buffered_events')!.get()).values[0]!.value).to.equal(17);
  });
});
