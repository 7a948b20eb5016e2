/**
 * Mocha global fixture: the real servers the whole run shares. When NATS_URL, DATABASE_URL
 * and REDIS_URL are already set, those are used; otherwise nats-server (JetStream),
 * PostgreSQL and Redis are started on free loopback ports with temp data dirs, and stopped
 * after the run.
 */
import { openOrm, migrate } from '@neonchat/common';
import {
  startNats,
  startPostgres,
  startRedis,
  createDatabase,
  withDatabase,
  provisionTestStreams,
  type RunningServer,
} from '@neonchat/common/testing';

const started: RunningServer[] = [];

export async function mochaGlobalSetup(): Promise<void> {
  process.env.NODE_ENV ??= 'test';
  process.env.LOG_LEVEL ??= 'silent';
  const [nats, postgres, redis] = await Promise.all([
    process.env.NATS_URL ? undefined : startNats(),
    process.env.DATABASE_URL ? undefined : startPostgres(),
    process.env.REDIS_URL ? undefined : startRedis(),
  ]);
  for (const s of [nats, postgres, redis]) if (s) started.push(s);
  if (nats) process.env.NATS_URL = nats.url;
  // A NATS given from outside gets the streams the provision step would give it.
  else await provisionTestStreams(process.env.NATS_URL!);
  if (redis) process.env.REDIS_URL = redis.url;

  const adminUrl = postgres ? postgres.url : process.env.DATABASE_URL!;
  // A migrated template, then the run's own database copied from it.
  const template = `neonchat_template_${process.pid}`;
  const templateUrl = await createDatabase(adminUrl, { name: template });
  const orm = await openOrm({ databaseUrl: templateUrl, poolMax: 1 });
  try {
    await migrate(orm);
  } finally {
    await orm.close(true);
  }
  process.env.NEONCHAT_TEST_ADMIN_DB_URL = withDatabase(adminUrl, 'postgres');
  process.env.NEONCHAT_TEST_TEMPLATE_DB = template;
  process.env.DATABASE_URL = await createDatabase(adminUrl, { template });
}

export async function mochaGlobalTeardown(): Promise<void> {
  await Promise.all(started.map((s) => s.stop()));
  // Every suite closes what it opened, so the process should now exit by itself. If a leaked
  // handle keeps it alive, say what it is and exit anyway rather than hang CI.
  const watchdog = setTimeout(() => {
    const handles = (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles();
    console.error(`tests: process still alive 15 s after teardown; open handles: ${handles.map((h) => h.constructor.name).join(', ')}`);
    process.exit(process.exitCode ?? 0);
  }, 15000);
  watchdog.unref();
}
