import cluster from 'node:cluster';
import { GatewayEnv, createLogger, instanceName, loadConfigOrExit, runService, runServiceCluster } from '@neonchat/common/runtime';
import { checkGatewayWorkers, gatewayWorkerCount, gatewayWorkerEnv } from './workers.js';
import { GATEWAY_NODE_FLAGS, GATEWAY_SEMI_SPACE_MIB, semiSpaceMiB } from './node-flags.js';

// The factory is imported once tracing has started (in runService), so that the
// instrumentations see pg, ioredis and http load.
const load = () => import('./gateway.js');

// The worker checks are the instance's: a worker's own GATEWAY_ID carries its suffix.
const config = loadConfigOrExit('gateway', GatewayEnv, cluster.isPrimary ? (c) => checkGatewayWorkers(c) : undefined);
const workers = gatewayWorkerCount(config.GATEWAY_WORKERS);

if (cluster.isPrimary && workers > 1) {
  // Several processes on one port: this one supervises them and serves the ops port.
  const instance = instanceName(config.INSTANCE_ID);
  await runServiceCluster({
    name: 'gateway',
    workers,
    logger: createLogger('gateway', config.LOG_LEVEL, { instance }),
    ops: { host: config.GATEWAY_HOST, port: config.GATEWAY_METRICS_PORT },
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    workerEnv: (index) => gatewayWorkerEnv(config, instance, index, workers),
  });
} else {
  await runService({
    name: 'gateway',
    env: GatewayEnv,
    config,
    build: async (config, logger) => {
      const semiSpace = semiSpaceMiB();
      if (semiSpace < GATEWAY_SEMI_SPACE_MIB) {
        logger.warn(
          { semi_space_mib: semiSpace, node_flags: GATEWAY_NODE_FLAGS.join(' ') },
          'started without the node options of gateway/src/node-flags.ts: expect a p99 about twice as high under load',
        );
      }
      const { createGateway } = await load();
      const gateway = await createGateway(config, { logger });
      return { registry: gateway.registry, isReady: () => gateway.isReady(), start: () => gateway.listen(), close: () => gateway.close() };
    },
    ops: (config) => ({ host: config.GATEWAY_HOST, port: config.GATEWAY_METRICS_PORT }),
  });
}
