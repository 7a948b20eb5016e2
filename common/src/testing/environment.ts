/**
 * The servers the whole test run shares, started once by the mocha global fixture
 * (test/global-fixtures.ts) or given by the caller as NATS_URL / DATABASE_URL / REDIS_URL.
 * Suites that need a server to themselves (to stop it, say) start their own.
 */
export interface TestEnvironment {
  readonly natsUrl: string;
  /** A migrated database shared by the run; suites name their rows uniquely. */
  readonly databaseUrl: string;
  /** A migrated, empty template: `createDatabase(adminUrl, {template})` copies it fast. */
  readonly templateDatabase: string;
  readonly adminDatabaseUrl: string;
  readonly redisUrl: string;
}

export function testEnvironment(): TestEnvironment {
  const read = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: run the tests through mocha (the global fixture sets it)`);
    return value;
  };
  return {
    natsUrl: read('NATS_URL'),
    databaseUrl: read('DATABASE_URL'),
    templateDatabase: read('NEONCHAT_TEST_TEMPLATE_DB'),
    adminDatabaseUrl: read('NEONCHAT_TEST_ADMIN_DB_URL'),
    redisUrl: read('REDIS_URL'),
  };
}
