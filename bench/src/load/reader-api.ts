import { signAccessToken } from '@neonchat/common';
import { freePort, type BenchEnvironment, type ServiceProcess } from '../bench-environment.js';

/** An api process for the read scenarios (history, search) and a token of the seeded reader. */
export interface ReaderApi {
  readonly api: ServiceProcess;
  /** `http://127.0.0.1:<port>/api/v1` */
  readonly base: string;
  readonly headers: Record<string, string>;
}

/**
 * Starts the api on `databaseUrl` for readers driven by the bench: the limiter stays on (its
 * Redis round trip is part of every request) but out of the way; `pool` is DATABASE_POOL_MAX.
 */
export async function startReaderApi(
  env: BenchEnvironment,
  databaseUrl: string,
  reader: { id: string; username: string },
  pool: string | number = 10,
): Promise<ReaderApi> {
  const port = await freePort();
  const api = await env.spawnService(
    'api',
    {
      API_PORT: String(port),
      DATABASE_URL: databaseUrl,
      NATS_URL: env.natsUrl,
      REDIS_URL: env.redisUrl,
      RATE_LIMIT_PER_MINUTE: String(1_000_000_000),
      DATABASE_POOL_MAX: String(pool),
    },
    port,
  );
  const token = signAccessToken(reader, env.jwtSecret, 3600);
  return { api, base: `http://127.0.0.1:${port}/api/v1`, headers: { authorization: `Bearer ${token}` } };
}
