import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Static, TObject, TProperties } from 'typebox';
import { loadConfig } from '../config/load-config.js';
import { testEnvironment } from './environment.js';

export const TEST_JWT_SECRET = 'test-only-secret-0123456789abcdef0123456789';

/**
 * The api's per-address request limit (RATE_LIMIT_PER_MINUTE) for test systems: every system of
 * a run shares one Redis, and so one count for 127.0.0.1, where all tests come from. High,
 * unless a test is about the limit and sets its own.
 */
export const TEST_RATE_LIMIT_PER_MINUTE = 1_000_000;

/**
 * A service's configuration for a test: the run's shared servers, random ports, quiet logs,
 * then `overrides`. Goes through the same loader as production, so it is validated the same.
 */
export function testServiceConfig<P extends TProperties>(
  schema: TObject<P>,
  overrides: Record<string, string | number | undefined> = {},
): Static<TObject<P>> {
  const env = testEnvironment();
  const base: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    NATS_URL: env.natsUrl,
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    BCRYPT_COST: '4',
    API_PORT: '0',
    GATEWAY_PORT: '0',
    GATEWAY_METRICS_PORT: '0',
    PERSISTER_METRICS_PORT: '0',
    PRESENCE_METRICS_PORT: '0',
    PERSISTER_BATCH_WAIT_MS: '5',
    SHUTDOWN_TIMEOUT_MS: '5000',
    // Never the checkout's .data/: each test process writes its files under the system's temp dir.
    UPLOAD_DIR: join(tmpdir(), `neonchat-test-uploads-${process.pid}`),
    UPLOAD_SWEEP_INTERVAL_S: '0',
  };
  for (const [k, v] of Object.entries(overrides)) base[k] = v === undefined ? undefined : String(v);
  return loadConfig(schema, base);
}
