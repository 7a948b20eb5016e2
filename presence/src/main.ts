import { PresenceEnv, createLogger, createShutdown, loadConfigOrExit, startOpsServer, startTracing } from '@neonchat/common';
import { createPresenceService } from './presence-service.js';

const config = loadConfigOrExit('presence', PresenceEnv);
const logger = createLogger('presence', config.LOG_LEVEL);
const tracing = startTracing('presence', config.OTEL_EXPORTER_OTLP_ENDPOINT);
const presence = await createPresenceService(config, { logger });
const ops = await startOpsServer({
  host: config.PRESENCE_METRICS_HOST,
  port: config.PRESENCE_METRICS_PORT,
  registry: presence.registry,
  isReady: () => presence.isReady(),
});
const shutdown = createShutdown(logger, config.SHUTDOWN_TIMEOUT_MS);
shutdown.add('presence', () => presence.close());
shutdown.add('ops server', () => ops.close());
shutdown.add('tracing', () => tracing.shutdown());
shutdown.installSignalHandlers();
logger.info('presence running');
