import type { Static } from 'typebox';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { NatsConnection } from '@nats-io/nats-core';
import { Counter, type Registry } from 'prom-client';
import {
  type PresenceEnv,
  SUBJECTS,
  connectNats,
  connectionClosedValidator,
  connectionOpenedValidator,
  createLogger,
  createMetricsRegistry,
  type Logger,
  type PresenceChangedEvent,
} from '@neonchat/common';
import { PresenceStore, type Transition } from './presence-store.js';

export type PresenceConfig = Static<typeof PresenceEnv>;

export interface PresenceService {
  readonly registry: Registry;
  readonly redis: Redis;
  readonly nats: NatsConnection;
  readonly store: PresenceStore;
  isReady(): boolean;
  close(): Promise<void>;
}

/**
 * Presence: turns gateways' connect/disconnect reports into Redis keys and announces real
 * transitions (first connection, last one gone) on `presence.changed.{user}`.
 */
export async function createPresenceService(config: PresenceConfig, options: { logger?: Logger } = {}): Promise<PresenceService> {
  const logger = options.logger ?? createLogger('presence', config.LOG_LEVEL);
  const registry = createMetricsRegistry('presence');
  const transitions = new Counter({
    name: 'neonchat_presence_transitions_total',
    help: 'Online/offline transitions',
    labelNames: ['event'],
    registers: [registry],
  });
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3, lazyConnect: true });
  await redis.connect();
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: config.DATABASE_POOL_MAX });
  const store = new PresenceStore(redis, config.PRESENCE_TTL_S);
  const nc = await connectNats({ url: config.NATS_URL, name: 'neonchat-presence', logger });

  function announce(userId: string, transition: Transition, now: number): void {
    if (transition === 'none') return;
    const event: PresenceChangedEvent = {
      type: 'presence.changed',
      user_id: userId,
      status: transition === 'came_online' ? 'online' : 'offline',
      event: transition === 'came_online' ? 'user_online' : 'user_offline',
      last_seen: now,
      at: now,
    };
    transitions.inc({ event: event.event });
    nc.publish(SUBJECTS.presenceChanged(userId), JSON.stringify(event));
    if (transition === 'went_offline') {
      pool
        .query('update users set last_seen_at = to_timestamp($2 / 1000.0) where id = $1', [userId, now])
        .catch((err: unknown) => logger.error({ err, user_id: userId }, 'last_seen update failed'));
    }
  }

  // Reports from one subscription are handled one after another: a connect and a disconnect
  // of the same socket can't overtake each other.
  let queue: Promise<void> = Promise.resolve();
  nc.subscribe(SUBJECTS.presenceReportsWildcard, {
    callback: (err, msg) => {
      if (err) return logger.error({ err }, 'presence subscription failed');
      queue = queue.then(async () => {
        try {
          const body: unknown = JSON.parse(new TextDecoder().decode(msg.data));
          if (msg.subject === SUBJECTS.presenceConnect && connectionOpenedValidator.check(body)) {
            announce(body.user_id, await store.connectionOpened(body.user_id, body.connection_id, body.at, body.device_id), body.at);
          } else if (msg.subject === SUBJECTS.presenceDisconnect && connectionClosedValidator.check(body)) {
            announce(body.user_id, await store.connectionClosed(body.user_id, body.connection_id), body.at);
          }
        } catch (error) {
          logger.error({ err: error, subject: msg.subject }, 'presence report failed');
        }
      });
    },
  });

  return {
    registry,
    redis,
    nats: nc,
    store,
    isReady: () => !nc.isClosed() && redis.status === 'ready',
    async close() {
      await nc.drain().catch((err: unknown) => logger.error({ err }, 'nats drain failed'));
      await queue;
      await pool.end();
      redis.disconnect();
    },
  };
}
