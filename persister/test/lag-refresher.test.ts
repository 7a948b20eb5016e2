import { expect } from 'chai';
import { Registry } from 'prom-client';
import { createLogger } from '@neonchat/common';
import { DatabaseHealth, LagRefresher, createPersisterMetrics } from '@neonchat/persister';

describe('LagRefresher', () => {
  function rig(options: {
    info?: () => Promise<{ num_pending: number; num_ack_pending: number }>;
    writing?: number;
    probe?: () => Promise<unknown>;
  }) {
    const registry = new Registry();
    const metrics = createPersisterMetrics(registry, () => 0);
    const health = new DatabaseHealth();
    let probes = 0;
    const refresher = new LagRefresher({
      consumerInfo: options.info ?? (async () => ({ num_pending: 0, num_ack_pending: 0 })),
      writing: () => options.writing ?? 0,
      probe: async () => {
        probes += 1;
        return (options.probe ?? (async () => undefined))();
      },
      health,
      metrics,
      logger: createLogger('test', 'silent'),
    });
    const gauge = async (name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value;
    return { refresher, health, gauge, probes: () => probes };
  }

  it('sets lag to pending + ack pending, and ack pending alone', async () => {
    const r = rig({ info: async () => ({ num_pending: 40, num_ack_pending: 2 }) });
    await r.refresher.refresh();
    expect(await r.gauge('neonchat_persister_consumer_lag')).to.equal(42);
    expect(await r.gauge('neonchat_persister_consumer_ack_pending')).to.equal(2);
  });

  it('keeps the last figures when the consumer info fails', async () => {
    let fail = false;
    const r = rig({
      info: async () => {
        if (fail) throw new Error('timeout');
        return { num_pending: 5, num_ack_pending: 1 };
      },
    });
    await r.refresher.refresh();
    fail = true;
    await r.refresher.refresh();
    expect(await r.gauge('neonchat_persister_consumer_lag')).to.equal(6);
  });

  it('probes PostgreSQL only while it is marked down and nothing is being written, and marks it up when it answers', async () => {
    let up = false;
    const r = rig({ probe: async () => (up ? undefined : Promise.reject(new Error('ECONNREFUSED'))) });
    await r.refresher.refresh();
    expect(r.probes()).to.equal(0); // healthy: no probe

    r.health.unavailable();
    await r.refresher.refresh();
    expect(r.probes()).to.equal(1);
    expect(r.health.healthy).to.equal(false);

    up = true;
    await r.refresher.refresh();
    expect(r.probes()).to.equal(2);
    expect(r.health.healthy).to.equal(true);
  });

  it('leaves the proof to the batch in flight', async () => {
    const r = rig({ writing: 1 });
    r.health.unavailable();
    await r.refresher.refresh();
    expect(r.probes()).to.equal(0);
    expect(r.health.healthy).to.equal(false);
  });
});

describe('DatabaseHealth', () => {
  it('counts unavailable batches in a row and starts over once PostgreSQL answers', () => {
    const health = new DatabaseHealth();
    expect(health.healthy).to.equal(true);
    expect([health.unavailable(), health.unavailable()]).to.deep.equal([1, 2]);
    expect(health.healthy).to.equal(false);
    health.available();
    expect(health.healthy).to.equal(true);
    expect(health.unavailable()).to.equal(1);
  });
});
