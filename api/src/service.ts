import type { Static } from 'typebox';
import type { FastifyInstance } from 'fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { NatsConnection } from '@nats-io/nats-core';
import { Redis } from 'ioredis';
import {
  type ApiEnv,
  assertProductionSecrets,
  connectNats,
  createLogger,
  createMetricsRegistry,
  RevocationList,
  SigningKeys,
  verifyStreams,
  type Logger,
  watchNatsConnection,
} from '@neonchat/common/runtime';
import { openOrm } from '@neonchat/common/db';
import { fileURLToPath } from 'node:url';
import { buildApp } from './app.js';
import { createAttachmentParts, type AttachmentParts } from './attachment-parts.js';

export type ApiConfig = Static<typeof ApiEnv>;

export interface ApiService {
  readonly app: FastifyInstance;
  readonly orm: MikroORM;
  readonly nats: NatsConnection;
  readonly logger: Logger;
  /** Uploads, thumbnails and the sweeper (tests run a sweep or wait for thumbnails through it). */
  readonly attachments: AttachmentParts;
  /** Stops taking requests, then closes NATS (draining), Redis and the database pool. */
  close(): Promise<void>;
}

export interface ApiServiceOptions {
  readonly logger?: Logger;
  /** Redis prefix of the rate-limit counters; tests give each suite its own. */
  readonly rateLimitNamespace?: string;
}

export const DEFAULT_RATE_LIMIT_NAMESPACE = 'neonchat:api:rate:';
const PRESENCE_TIMEOUT_MS = 250;
/** web/dist of this checkout: the same path from api/src (tests) and api/dist (built). */
const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));
/** How long a starting api waits for the chat stream to be provisioned (by the persister or the provision step). */
const STREAM_WAIT_MS = 60_000;

/** Opens the api's connections and builds the app. Used by `main.ts` and by the tests. */
export async function createApiService(config: ApiConfig, options: ApiServiceOptions = {}): Promise<ApiService> {
  assertProductionSecrets(config);
  const logger = options.logger ?? createLogger('api', config.LOG_LEVEL);
  const registry = createMetricsRegistry('api');
  const orm = await openOrm({ databaseUrl: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX });
  const nats = await connectNats({ url: config.NATS_URL, name: 'neonchat-api', logger });
  watchNatsConnection(registry, nats);
  await verifyStreams(nats, { timeoutMs: STREAM_WAIT_MS, logger });
  // Rate-limit counters: a short command timeout so a stuck Redis delays no request long
  // (the limiter then lets requests through and logs).
  const redis = new Redis(config.REDIS_URL, { commandTimeout: 500, maxRetriesPerRequest: 1 });
  redis.on('error', (err: unknown) => logger.warn({ err }, 'rate-limit redis connection trouble'));
  // Loaded whole before the first request: a restarted api refuses what was ended before.
  const revocations = await RevocationList.open(nats, {
    ttlSeconds: config.JWT_TTL_S,
    replicas: config.NATS_STREAM_REPLICAS,
    onError: (err) => logger.error({ err }, 'revocation list trouble'),
  });
  await revocations.start();
  const attachments = createAttachmentParts(config, { orm, registry, logger });
  const app = await buildApp(
    { orm, nats, redis, registry, logger, revocations, attachments },
    {
      keys: SigningKeys.fromConfig(config),
      jwtTtlSeconds: config.JWT_TTL_S,
      refreshTtlSeconds: config.JWT_REFRESH_TTL_S,
      bcryptCost: config.BCRYPT_COST,
      loginFreeFailures: config.LOGIN_FREE_FAILURES,
      loginMaxBlockSeconds: config.LOGIN_MAX_BLOCK_S,
      registerConflictsPerHour: config.REGISTER_CONFLICTS_PER_HOUR,
      corsOrigins: config.CORS_ORIGINS.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
      rateLimitNamespace: options.rateLimitNamespace ?? DEFAULT_RATE_LIMIT_NAMESPACE,
      presenceTimeoutMs: PRESENCE_TIMEOUT_MS,
      trustedProxies: config.API_TRUSTED_PROXIES.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      webClient: { dir: config.WEB_DIR || DEFAULT_WEB_DIR, wsUrl: config.WEB_WS_URL },
    },
  );
  attachments.sweeper.start();
  return {
    app,
    orm,
    nats,
    logger,
    attachments,
    async close() {
      await app.close();
      revocations.stop();
      await attachments.close();
      // NATS may be the thing that is down: closing must still release Redis and the pool.
      await nats.drain().catch(() => nats.close());
      redis.disconnect();
      await orm.close(true);
    },
  };
}
