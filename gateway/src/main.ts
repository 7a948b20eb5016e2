import { GatewayEnv, runService } from '@neonchat/common/runtime';
import { createGateway } from './gateway.js';

await runService({
  name: 'gateway',
  env: GatewayEnv,
  build: async (config, logger) => {
    const gateway = await createGateway(config, { logger });
    return { registry: gateway.registry, isReady: () => gateway.isReady(), start: () => gateway.listen(), close: () => gateway.close() };
  },
  ops: (config) => ({ host: config.GATEWAY_HOST, port: config.GATEWAY_METRICS_PORT }),
});
