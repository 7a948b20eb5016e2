import type { Static } from 'typebox';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Registry } from 'prom-client';
import { SUBJECTS } from '@neonchat/common/contracts';
import {
  type PresenceEnv,
  connectNats,
  createLogger,
  createMetricsRegistry,
  type Logger,
  watchNatsConnection,
} from '@neonchat/common/runtime';
import { LastSeenStore } from './last-seen-store.js';
import { createPresenceMetrics, type PresenceMetrics } from './presence-metrics.js';
import { PresenceAnnouncer } from './presence-announcer.js';
import type { PresenceReport, PresenceStore } from './presence-store.js';
import { PresenceSweeper } from './presence-sweeper.js';
import { QueryHandler } from './query-handler.js';
import { RedisPresenceStore } from './redis-presence-store.js';
import { ReportBatcher } from './report-batcher.js';
import { ReportHandlers } from './report-handlers.js';

export type PresenceConfig = Static<typeof PresenceEnv>;

export interface PresenceService {
  readonly registry: Registry;
  readonly redis: Redis;
  readonly nats: NatsConnection;
  readonly store: PresenceStore;
  readonly metrics: PresenceMetrics;
  isReady(): boolean;
  close(): Promise<void>;
}

/**
 * Presence: turns gateways' reports into Redis state, announces real transitions on
 * `presence.changed.{user}` (decided atomically in Redis, so any number of replicas can share
 * the work through a NATS queue group), answers `presence.query`, and keeps
 * `users.last_seen_at` for offline users.
 *
 * Wiring only: `ReportHandlers` (report-handlers.ts) takes connect/disconnect/status reports
 * into a `ReportBatcher` and applies heartbeats; `QueryHandler` (query-handler.ts) answers
 * queries; `PresenceSweeper` (presence-sweeper.ts) expires connections and due offlines;
 * `PresenceAnnouncer` (presence-announcer.ts) publishes what the store decided and records
 * last_seen.
 */
export async function createPresenceService(config: PresenceConfig, options: { logger?: Logger } = {}): Promise<PresenceService> {
  const logger = options.logger ?? createLogger('presence', config.LOG_LEVEL);
  const registry = createMetricsRegistry('presence');
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3, lazyConnect: true });
  redis.on('error', (err: unknown) => logger.warn({ err }, 'redis connection trouble'));
  await redis.connect();
  // The gauges read the store only when scraped, by which time it exists.
  const metrics: PresenceMetrics = createPresenceMetrics(registry, () => store.counts());
  const store: PresenceStore = new RedisPresenceStore(redis, {
    ttlSeconds: config.PRESENCE_TTL_S,
    offlineGraceMs: config.PRESENCE_OFFLINE_GRACE_MS,
    sweepIntervalMs: config.PRESENCE_SWEEP_INTERVAL_MS,
    observe: (op, seconds) => metrics.redisSeconds.observe({ op }, seconds),
  });
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: config.DATABASE_POOL_MAX });
  pool.on('error', (err) => logger.warn({ err }, 'postgres pool trouble'));
  const lastSeen = new LastSeenStore(pool);
  const nc = await connectNats({ url: config.NATS_URL, name: 'neonchat-presence', logger });
  watchNatsConnection(registry, nc);

  const announcer = new PresenceAnnouncer({
    publish: (subject, data) => nc.publish(subject, data),
    recordOffline: (entries) => lastSeen.recordOffline(entries),
    metrics,
    logger,
  });
  const reports = new ReportBatcher<PresenceReport>(
    config.PRESENCE_REPORT_BATCH_MAX,
    async (batch) => announcer.announce(await store.applyReports(batch)),
    (err, batch) => {
      metrics.failures.inc({ stage: 'reports' });
      logger.error({ err, reports: batch.length }, 'presence reports not applied');
    },
  );
  const handlers = new ReportHandlers({ store, reports, announcer, metrics, logger });
  const queries = new QueryHandler({
    store,
    lastSeen: (userIds) => lastSeen.lastSeen(userIds),
    maxPayload: () => nc.info?.max_payload ?? Infinity,
    metrics,
    logger,
  });
  const sweeper = new PresenceSweeper({ store, announcer, intervalMs: config.PRESENCE_SWEEP_INTERVAL_MS, metrics, logger });

  const queue = config.PRESENCE_QUEUE_GROUP;
  const reportSubscription = nc.subscribe(SUBJECTS.presenceReportsWildcard, {
    queue,
    callback: (err, msg) => (err ? logger.error({ err }, 'presence report subscription failed') : handlers.onReport(msg)),
  });
  const querySubscription = nc.subscribe(SUBJECTS.presenceQuery, {
    queue,
    callback: (err, msg) => (err ? logger.error({ err }, 'presence query subscription failed') : queries.onQuery(msg)),
  });
  sweeper.start();
  await nc.flush();

  return {
    registry,
    redis,
    nats: nc,
    store,
    metrics,
    isReady: () => !nc.isClosed() && redis.status === 'ready',
    async close() {
      // Stop taking work, finish what was taken (its announcements and replies still need NATS), then let go.
      const stopping = sweeper.stop();
      await Promise.all([reportSubscription.drain(), querySubscription.drain()]).catch((err: unknown) =>
        logger.error({ err }, 'nats subscription drain failed'),
      );
      await stopping;
      await reports.drain();
      await Promise.all([handlers.settled(), queries.settled()]);
      await nc.drain().catch((err: unknown) => logger.error({ err }, 'nats drain failed'));
      await announcer.settled();
      await pool.end();
      redis.disconnect();
    },
  };
}
