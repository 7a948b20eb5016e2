import { PersisterEnv, runService } from '@neonchat/common/runtime';
import { createPersister } from './persister.js';

await runService({
  name: 'persister',
  env: PersisterEnv,
  build: (config, logger) => createPersister(config, { logger }),
  ops: (config) => ({ host: config.PERSISTER_METRICS_HOST, port: config.PERSISTER_METRICS_PORT }),
});
