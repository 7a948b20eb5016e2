import { PersisterEnv, runService } from '@neonchat/common/runtime';

// The factory is imported once tracing has started (in runService), so that the
// instrumentations see pg, ioredis and http load.
const load = () => import('./persister.js');

await runService({
  name: 'persister',
  env: PersisterEnv,
  build: async (config, logger) => (await load()).createPersister(config, { logger }),
  ops: (config) => ({ host: config.PERSISTER_METRICS_HOST, port: config.PERSISTER_METRICS_PORT }),
});
