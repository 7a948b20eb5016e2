import { ApiEnv, assertProductionSecrets, createLogger, createShutdown, loadConfigOrExit, startTracing } from '@neonchat/common';
import { createApiService } from './service.js';

const config = loadConfigOrExit('api', ApiEnv, assertProductionSecrets);
const logger = createLogger('api', config.LOG_LEVEL);
const tracing = startTracing('api', config.OTEL_EXPORTER_OTLP_ENDPOINT);
const service = await createApiService(config, { logger });
const shutdown = createShutdown(logger, config.SHUTDOWN_TIMEOUT_MS);
shutdown.add('api', () => service.close());
shutdown.add('tracing', () => tracing.shutdown());
shutdown.installSignalHandlers();
await service.app.listen({ host: config.API_HOST, port: config.API_PORT });
