import { GatewayEnv, createLogger, createShutdown, loadConfigOrExit, startOpsServer, startTracing } from '@neonchat/common';
import { createGateway } from './gateway.js';

const config = loadConfigOrExit('gateway', GatewayEnv);
const logger = createLogger('gateway', config.LOG_LEVEL);
const tracing = startTracing('gateway', config.OTEL_EXPORTER_OTLP_ENDPOINT);
const gateway = await createGateway(config, { logger });
const ops = await startOpsServer({
  host: config.GATEWAY_HOST,
  port: config.GATEWAY_METRICS_PORT,
  registry: gateway.registry,
  isReady: () => gateway.isReady(),
});
const shutdown = createShutdown(logger, config.SHUTDOWN_TIMEOUT_MS);
shutdown.add('gateway', () => gateway.close());
shutdown.add('ops server', () => ops.close());
shutdown.add('tracing', () => tracing.shutdown());
shutdown.installSignalHandlers();
await gateway.listen();
