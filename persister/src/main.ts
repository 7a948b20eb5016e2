import { PersisterEnv, createLogger, createShutdown, loadConfigOrExit, startOpsServer, startTracing } from '@neonchat/common';
import { createPersister } from './persister.js';

const config = loadConfigOrExit('persister', PersisterEnv);
const logger = createLogger('persister', config.LOG_LEVEL);
const tracing = startTracing('persister', config.OTEL_EXPORTER_OTLP_ENDPOINT);
const persister = await createPersister(config, { logger });
const ops = await startOpsServer({
  host: config.PERSISTER_METRICS_HOST,
  port: config.PERSISTER_METRICS_PORT,
  registry: persister.registry,
  isReady: () => persister.isReady(),
});
const shutdown = createShutdown(logger, config.SHUTDOWN_TIMEOUT_MS);
shutdown.add('persister', () => persister.close());
shutdown.add('ops server', () => ops.close());
shutdown.add('tracing', () => tracing.shutdown());
shutdown.installSignalHandlers();
await persister.start();
logger.info('persister consuming');
