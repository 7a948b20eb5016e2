/**
 * `node common/dist/runtime/provision-cli.js`: creates the JetStream streams (or brings their
 * settings up to date) on NATS_URL from the NATS_STREAM_* variables, and exits non-zero on any
 * failure. The persister does the same at start; this is for a deploy that wants the streams
 * before any service runs (an init job, `make dev`).
 */
import Type from 'typebox';
import { loadConfig } from '../config/load-config.js';
import { NatsEnv } from '../config/env-schemas.js';
import { createLogger } from './logger.js';
import { connectNats, provisionStreams, streamSettingsOf } from './nats.js';

const config = loadConfig(Type.Object(NatsEnv));
const logger = createLogger('provision', 'info');
const nc = await connectNats({ url: config.NATS_URL, name: 'neonchat-provision', logger });
try {
  await provisionStreams(nc, streamSettingsOf(config));
  logger.info('streams provisioned');
} catch (err) {
  logger.error({ err }, 'stream provisioning failed');
  process.exitCode = 1;
} finally {
  await nc.close();
}
