import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_S } from '@neonchat/common/runtime';
import type { PresenceStore } from './presence-store.js';

export interface PresenceMetrics {
  readonly transitions: Counter<'event'>;
  readonly reports: Counter<'kind'>;
  readonly failures: Counter<'stage'>;
  readonly redisSeconds: Histogram<'op'>;
  readonly heartbeatSeconds: Histogram;
}

/** `neonchat_presence_*`. The gauges are read from Redis at scrape time, so every replica reports the shared truth. */
export function createPresenceMetrics(registry: Registry, counts: () => ReturnType<PresenceStore['counts']>): PresenceMetrics {
  let last: Promise<{ onlineUsers: number; connections: number }> | undefined;
  // Both gauges are collected in the same scrape: one Redis round trip serves them.
  const shared = () => (last ??= counts().finally(() => setImmediate(() => (last = undefined))));
  new Gauge({
    name: 'neonchat_presence_online_users',
    help: 'Users announced online (online or away), across all presence replicas',
    registers: [registry],
    async collect() {
      this.set((await shared()).onlineUsers);
    },
  });
  new Gauge({
    name: 'neonchat_presence_connections',
    help: 'Live WebSocket connections known to presence, across all replicas',
    registers: [registry],
    async collect() {
      this.set((await shared()).connections);
    },
  });
  return {
    transitions: new Counter({
      name: 'neonchat_presence_transitions_total',
      help: 'Presence transitions announced by this replica',
      labelNames: ['event'],
      registers: [registry],
    }),
    reports: new Counter({
      name: 'neonchat_presence_reports_total',
      help: 'Gateway reports handled, by kind (invalid ones under kind="invalid")',
      labelNames: ['kind'],
      registers: [registry],
    }),
    failures: new Counter({
      name: 'neonchat_presence_failures_total',
      help: 'Failed work, by stage (reports, heartbeat, sweep, query, last_seen, announce)',
      labelNames: ['stage'],
      registers: [registry],
    }),
    redisSeconds: new Histogram({
      name: 'neonchat_presence_redis_seconds',
      help: 'Redis round trip time, by operation',
      labelNames: ['op'],
      buckets: LATENCY_BUCKETS_S,
      registers: [registry],
    }),
    heartbeatSeconds: new Histogram({
      name: 'neonchat_presence_heartbeat_seconds',
      help: 'Time to apply one heartbeat report, from arrival to Redis reply',
      buckets: LATENCY_BUCKETS_S,
      registers: [registry],
    }),
  };
}
