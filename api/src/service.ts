import type { Static } from 'typebox';
import type { FastifyInstance } from 'fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { NatsConnection } from '@nats-io/nats-core';
import { type ApiEnv, connectNats, createLogger, createMetricsRegistry, ensureStreams, openOrm, type Logger } from '@neonchat/common';
import { buildApp } from './app.js';

export type ApiConfig = Static<typeof ApiEnv>;

export interface ApiService {
  readonly app: FastifyInstance;
  readonly orm: MikroORM;
  readonly nats: NatsConnection;
  readonly logger: Logger;
  /** Stops taking requests, then closes NATS (draining) and the database pool. */
  close(): Promise<void>;
}

/** Opens the api's connections and builds the app. Used by `main.ts` and by the tests. */
export async function createApiService(config: ApiConfig, options: { logger?: Logger } = {}): Promise<ApiService> {
  const logger = options.logger ?? createLogger('api', config.LOG_LEVEL);
  const registry = createMetricsRegistry('api');
  const orm = await openOrm({ databaseUrl: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX });
  const nats = await connectNats({ url: config.NATS_URL, name: 'neonchat-api', logger });
  await ensureStreams(nats, {
    replicas: config.NATS_STREAM_REPLICAS,
    maxAgeSeconds: config.NATS_STREAM_MAX_AGE_S,
    maxBytes: config.NATS_STREAM_MAX_BYTES,
    duplicateWindowSeconds: config.NATS_DUPLICATE_WINDOW_S,
  });
  const app = await buildApp(
    { orm, nats, registry, logger },
    {
      jwtSecret: config.JWT_SECRET,
      jwtTtlSeconds: config.JWT_TTL_S,
      bcryptCost: config.BCRYPT_COST,
      corsOrigins: config.CORS_ORIGINS.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    },
  );
  return {
    app,
    orm,
    nats,
    logger,
    async close() {
      await app.close();
      await nats.drain();
      await orm.close(true);
    },
  };
}
