/**
 * `node persister/dist/replay-cli.js` (scripts/restore.sh runs it): after a PostgreSQL restore,
 * moves the persister's consumer back so that the events the restored database lacks are
 * written again (see rewindPersister). NATS_URL, DATABASE_URL; PERSISTER_REPLAY_MARGIN_S
 * (default 300); PERSISTER_REPLAY_FROM (an ISO time) to choose the start yourself. Prints the
 * result as one JSON line; exits non-zero on failure.
 */
import pg from 'pg';
import { connectNats, createLogger, loadConfigOrExit, PersisterReplayEnv } from '@neonchat/common/runtime';
import { rewindPersister } from './replay.js';

const config = loadConfigOrExit('persister-replay', PersisterReplayEnv);
const logger = createLogger('persister-replay', config.LOG_LEVEL);
let from: Date | undefined;
if (config.PERSISTER_REPLAY_FROM !== undefined) {
  from = new Date(config.PERSISTER_REPLAY_FROM);
  if (Number.isNaN(from.getTime())) {
    logger.error({ value: config.PERSISTER_REPLAY_FROM }, 'PERSISTER_REPLAY_FROM is not a time');
    process.exit(1);
  }
}
const db = new pg.Client({ connectionString: config.DATABASE_URL });
let nc: Awaited<ReturnType<typeof connectNats>> | undefined;
try {
  nc = await connectNats({ url: config.NATS_URL, name: 'neonchat-persister-replay', logger });
  await db.connect();
  const result = await rewindPersister(nc, db, { marginS: config.PERSISTER_REPLAY_MARGIN_S, ...(from ? { from } : {}) });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (result.windowShort) logger.warn(result, 'the stream no longer holds every event since the replay start: the gap cannot be replayed');
} catch (err) {
  logger.error({ err }, 'replay set-up failed');
  process.exitCode = 1;
} finally {
  await db.end().catch(() => undefined);
  await nc?.close();
}
