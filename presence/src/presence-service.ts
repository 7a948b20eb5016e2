import type { Static } from 'typebox';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Msg, NatsConnection } from '@nats-io/nats-core';
import type { Registry } from 'prom-client';
import {
  type HeartbeatAck,
  type PresenceChangedEvent,
  type PresenceQueryReply,
  SUBJECTS,
  connectionClosedValidator,
  connectionOpenedValidator,
  decodeJson,
  heartbeatValidator,
  presenceQueryValidator,
  statusReportValidator,
} from '@neonchat/common/contracts';
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
import type { PresenceReport, PresenceStore, PresenceTransition } from './presence-store.js';
import { RedisPresenceStore } from './redis-presence-store.js';
import { ReportBatcher } from './report-batcher.js';

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

/** Most expired connections or due offline announcements one sweep script call handles. */
const SWEEP_LIMIT = 2000;
/** Sweep calls per tick at most, so a flood of expiries can't starve the reports. */
const SWEEP_CALLS_PER_TICK = 25;

/**
 * Presence: turns gateways' reports into Redis state, announces real transitions on
 * `presence.changed.{user}` (decided atomically in Redis, so any number of replicas can share
 * the work through a NATS queue group), answers `presence.query`, and keeps
 * `users.last_seen_at` for offline users.
 */
export async function createPresenceService(config: PresenceConfig, options: { logger?: Logger } = {}): Promise<PresenceService> {
  const logger = options.logger ?? createLogger('presence', config.LOG_LEVEL);
  const registry = createMetricsRegistry('presence');
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3, lazyConnect: true });
  redis.on('error', (err: unknown) => logger.warn({ err }, 'redis connection trouble'));
  await redis.connect();
  // The gauges read the store only when scraped, by which time it exists.
  const m: PresenceMetrics = createPresenceMetrics(registry, () => store.counts());
  const store: PresenceStore = new RedisPresenceStore(redis, {
    ttlSeconds: config.PRESENCE_TTL_S,
    offlineGraceMs: config.PRESENCE_OFFLINE_GRACE_MS,
    sweepIntervalMs: config.PRESENCE_SWEEP_INTERVAL_MS,
    observe: (op, seconds) => m.redisSeconds.observe({ op }, seconds),
  });
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: config.DATABASE_POOL_MAX });
  pool.on('error', (err) => logger.warn({ err }, 'postgres pool trouble'));
  const lastSeen = new LastSeenStore(pool);
  const nc = await connectNats({ url: config.NATS_URL, name: 'neonchat-presence', logger });
  watchNatsConnection(registry, nc);
  const pendingWrites = new Set<Promise<void>>();

  function announce(transitions: readonly PresenceTransition[]): void {
    if (transitions.length === 0) return;
    const at = Date.now();
    for (const t of transitions) {
      const event: PresenceChangedEvent = {
        type: 'presence.changed',
        user_id: t.user_id,
        status: t.status,
        event: t.event,
        last_seen: t.last_seen,
        at,
      };
      m.transitions.inc({ event: t.event });
      try {
        nc.publish(SUBJECTS.presenceChanged(t.user_id), JSON.stringify(event));
      } catch (err) {
        m.failures.inc({ stage: 'announce' });
        logger.error({ err, user_id: t.user_id, event: t.event }, 'presence transition not announced');
      }
    }
    const offline = transitions.filter((t) => t.event === 'user_offline');
    if (offline.length === 0) return;
    const write: Promise<void> = lastSeen
      .recordOffline(offline)
      .catch((err: unknown) => {
        m.failures.inc({ stage: 'last_seen' });
        logger.error({ err, users: offline.length }, 'last_seen not written');
      })
      .finally(() => pendingWrites.delete(write));
    pendingWrites.add(write);
  }

  const reports = new ReportBatcher<PresenceReport>(
    config.PRESENCE_REPORT_BATCH_MAX,
    async (batch) => announce(await store.applyReports(batch)),
    (err, batch) => {
      m.failures.inc({ stage: 'reports' });
      logger.error({ err, reports: batch.length }, 'presence reports not applied');
    },
  );

  const parse = (msg: Msg): unknown => decodeJson(msg.data);

  function invalid(msg: Msg): void {
    m.reports.inc({ kind: 'invalid' });
    logger.warn({ subject: msg.subject, bytes: msg.data.length }, 'invalid presence report dropped');
  }

  const heartbeatsInFlight = new Set<Promise<void>>();
  function onHeartbeat(msg: Msg): void {
    const started = process.hrtime.bigint();
    const body = parse(msg);
    if (!heartbeatValidator.check(body)) {
      invalid(msg);
      if (msg.reply) msg.respond(JSON.stringify({ ok: false, connections: 0 } satisfies HeartbeatAck));
      return;
    }
    m.reports.inc({ kind: 'heartbeat' });
    const done: Promise<void> = store
      .heartbeat(body)
      .then((transitions) => {
        announce(transitions);
        m.heartbeatSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
        if (msg.reply) msg.respond(JSON.stringify({ ok: true, connections: body.connections.length } satisfies HeartbeatAck));
      })
      .catch((err: unknown) => {
        m.failures.inc({ stage: 'heartbeat' });
        logger.error({ err, gateway_id: body.gateway_id, connections: body.connections.length }, 'heartbeat not applied');
        if (msg.reply) msg.respond(JSON.stringify({ ok: false, connections: 0 } satisfies HeartbeatAck));
      })
      .finally(() => heartbeatsInFlight.delete(done));
    heartbeatsInFlight.add(done);
  }

  function onReport(msg: Msg): void {
    const body = parse(msg);
    switch (msg.subject) {
      case SUBJECTS.presenceConnect:
        if (!connectionOpenedValidator.check(body)) return invalid(msg);
        m.reports.inc({ kind: 'connect' });
        return reports.push({
          kind: 'connect',
          user_id: body.user_id,
          connection_id: body.connection_id,
          device_id: body.device_id,
          at: body.at,
        });
      case SUBJECTS.presenceDisconnect:
        if (!connectionClosedValidator.check(body)) return invalid(msg);
        m.reports.inc({ kind: 'disconnect' });
        return reports.push({ kind: 'disconnect', user_id: body.user_id, connection_id: body.connection_id, at: body.at });
      case SUBJECTS.presenceStatus:
        if (!statusReportValidator.check(body)) return invalid(msg);
        m.reports.inc({ kind: 'status' });
        return reports.push({ kind: 'status', user_id: body.user_id, connection_id: body.connection_id, status: body.status, at: body.at });
      case SUBJECTS.presenceHeartbeat:
        return onHeartbeat(msg);
      default:
        return invalid(msg);
    }
  }

  const queriesInFlight = new Set<Promise<void>>();
  async function answerQuery(msg: Msg): Promise<void> {
    const reply = (r: PresenceQueryReply) => {
      const data = JSON.stringify(r);
      const max = nc.info?.max_payload ?? Infinity;
      if (Buffer.byteLength(data) > max) {
        m.failures.inc({ stage: 'query' });
        msg.respond(
          JSON.stringify({
            statuses: [],
            error: {
              code: 'payload_too_large',
              message: `the reply exceeds the NATS max payload (${max} bytes): ask for fewer users at once`,
            },
          } satisfies PresenceQueryReply),
        );
        return;
      }
      msg.respond(data);
    };
    const body = parse(msg);
    if (!presenceQueryValidator.check(body)) {
      const [first] = presenceQueryValidator.errors(body);
      return reply({
        statuses: [],
        error: { code: 'validation_failed', message: first ? `${first.path || 'query'}: ${first.message}` : 'invalid query' },
      });
    }
    let statuses;
    try {
      statuses = await store.statuses(body.user_ids);
    } catch (err) {
      m.failures.inc({ stage: 'query' });
      logger.error({ err, users: body.user_ids.length }, 'presence query failed');
      return reply({ statuses: [], error: { code: 'unavailable', message: 'presence is unavailable, try again' } });
    }
    const offline = body.user_ids.filter((_, i) => statuses[i] === undefined);
    let seen = new Map<string, number>();
    try {
      seen = await lastSeen.lastSeen(offline);
    } catch (err) {
      // Who is online is the answer; last_seen is a courtesy, so a PostgreSQL outage degrades to null.
      m.failures.inc({ stage: 'last_seen' });
      logger.error({ err, users: offline.length }, 'last_seen not read');
    }
    reply({
      statuses: body.user_ids.map((user_id, i) => {
        const s = statuses[i];
        return s
          ? { user_id, status: s.status, last_seen: s.last_seen }
          : { user_id, status: 'offline' as const, last_seen: seen.get(user_id) ?? null };
      }),
    });
  }

  const subscriptionOptions = { queue: config.PRESENCE_QUEUE_GROUP };
  const reportSubscription = nc.subscribe(SUBJECTS.presenceReportsWildcard, {
    ...subscriptionOptions,
    callback: (err, msg) => {
      if (err) return logger.error({ err }, 'presence report subscription failed');
      onReport(msg);
    },
  });
  const querySubscription = nc.subscribe(SUBJECTS.presenceQuery, {
    ...subscriptionOptions,
    callback: (err, msg) => {
      if (err) return logger.error({ err }, 'presence query subscription failed');
      const done: Promise<void> = answerQuery(msg)
        .catch((error: unknown) => {
          m.failures.inc({ stage: 'query' });
          logger.error({ err: error }, 'presence query not answered');
        })
        .finally(() => queriesInFlight.delete(done));
      queriesInFlight.add(done);
    },
  });

  // Every replica sweeps; the script hands each expiry to exactly one of them.
  let sweepTimer: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> = Promise.resolve();
  let closing = false;
  async function sweep(): Promise<void> {
    for (let call = 0; call < SWEEP_CALLS_PER_TICK; call++) {
      const { transitions, more } = await store.sweep(SWEEP_LIMIT);
      announce(transitions);
      if (!more) break;
    }
  }
  function scheduleSweep(): void {
    if (closing) return;
    sweepTimer = setTimeout(() => {
      sweeping = sweep()
        .catch((err: unknown) => {
          m.failures.inc({ stage: 'sweep' });
          logger.error({ err }, 'presence sweep failed');
        })
        .finally(scheduleSweep);
    }, config.PRESENCE_SWEEP_INTERVAL_MS);
  }
  scheduleSweep();
  await nc.flush();

  return {
    registry,
    redis,
    nats: nc,
    store,
    metrics: m,
    isReady: () => !nc.isClosed() && redis.status === 'ready',
    async close() {
      closing = true;
      clearTimeout(sweepTimer);
      // Stop taking work, finish what was taken (its announcements and replies still need NATS), then let go.
      await Promise.all([reportSubscription.drain(), querySubscription.drain()]).catch((err: unknown) =>
        logger.error({ err }, 'nats subscription drain failed'),
      );
      await sweeping;
      await reports.drain();
      await Promise.all([...heartbeatsInFlight, ...queriesInFlight]);
      await nc.drain().catch((err: unknown) => logger.error({ err }, 'nats drain failed'));
      await Promise.all(pendingWrites);
      await pool.end();
      redis.disconnect();
    },
  };
}
