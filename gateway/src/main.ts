import { GatewayEnv, runService } from '@neonchat/common/runtime';

// The factory is imported once tracing has started (in runService), so that the
// instrumentations see pg, ioredis and http load.
const load = () => import('./gateway.js');

await runService({
  name: 'gateway',
  env: GatewayEnv,
  build: async (config, logger) => {
    const { createGateway } = await load();
    const gateway = await createGateway(config, { logger });
    return { registry: gateway.registry, isReady: () => gateway.isReady(), start: () => gateway.listen(), close: () => gateway.close() };
  },
  ops: (config) => ({ host: config.GATEWAY_HOST, port: config.GATEWAY_METRICS_PORT }),
});
