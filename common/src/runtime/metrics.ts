import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { NatsConnection } from '@nats-io/nats-core';

/** One registry per service instance (tests build several in one process). */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Latency buckets in seconds, from 0.1 ms to 5 s: local hops are sub-millisecond. */
export const LATENCY_BUCKETS_S = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * `neonchat_nats_connected` (1 while this instance has a NATS server, 0 while it is
 * reconnecting or closed) and `neonchat_nats_disconnects_total`: what the NatsUnreachable alert
 * reads, since an instance can be up (scraped) and still cut off from NATS.
 */
export function watchNatsConnection(registry: Registry, nc: NatsConnection): void {
  let connected = true;
  new Gauge({
    name: 'neonchat_nats_connected',
    help: '1 while this instance is connected to a NATS server',
    registers: [registry],
    // Summed over a cluster's workers, one cut off would still read as connected.
    aggregator: 'min',
    collect() {
      this.set(connected && !nc.isClosed() ? 1 : 0);
    },
  });
  const disconnects = new Counter({
    name: 'neonchat_nats_disconnects_total',
    help: 'Times this instance lost its NATS server',
    registers: [registry],
  });
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        connected = false;
        disconnects.inc();
      } else if (status.type === 'reconnect') {
        connected = true;
      }
    }
  })().catch(() => {
    connected = false;
  });
}

/**
 * A counter with one label for the message path: `inc` adds to a plain tally, and the tallies
 * go into the prom-client counter when it is collected (a scrape, or `get()`). prom-client's
 * own `inc` with labels hashes and validates the labels on every call, which was about 5 % of
 * the gateway's CPU per message at a few thousand frames a second.
 */
export class TallyCounter<L extends string> {
  private readonly pending = new Map<string, number>();
  private readonly label: L;
  readonly counter: Counter<L>;

  constructor(config: { name: string; help: string; label: L; registry: Registry }) {
    const pending = this.pending;
    const label = config.label;
    this.counter = new Counter<L>({
      name: config.name,
      help: config.help,
      labelNames: [label],
      registers: [config.registry],
      collect() {
        for (const [value, n] of pending) this.inc({ [label]: value } as Partial<Record<L, string>>, n);
        pending.clear();
      },
    });
    this.label = label;
  }

  inc(labels: Readonly<Record<L, string>>, value = 1): void {
    const key = labels[this.label];
    this.pending.set(key, (this.pending.get(key) ?? 0) + value);
  }
}
