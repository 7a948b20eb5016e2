/**
 * `node common/dist/db/migrate-cli.js`: applies pending migrations to DATABASE_URL and exits
 * non-zero on any failure.
 */
import Type from 'typebox';
import { loadConfig } from '../config/load-config.js';
import { DatabaseEnv } from '../config/env-schemas.js';
import { openOrm, migrate } from './orm.js';

const config = loadConfig(Type.Object({ DATABASE_URL: DatabaseEnv.DATABASE_URL }));
const orm = await openOrm({ databaseUrl: config.DATABASE_URL, poolMax: 1 });
try {
  const applied = await migrate(orm);
  console.log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database is up to date');
} catch (err) {
  console.error('migration failed:', err);
  process.exitCode = 1;
} finally {
  await orm.close(true);
}
