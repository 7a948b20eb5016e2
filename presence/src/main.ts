import { PresenceEnv, runService } from '@neonchat/common/runtime';

// The factory is imported once tracing has started (in runService), so that the
// instrumentations see pg, ioredis and http load.
const load = () => import('./presence-service.js');

await runService({
  name: 'presence',
  env: PresenceEnv,
  build: async (config, logger) => (await load()).createPresenceService(config, { logger }),
  ops: (config) => ({ host: config.PRESENCE_METRICS_HOST, port: config.PRESENCE_METRICS_PORT }),
});
