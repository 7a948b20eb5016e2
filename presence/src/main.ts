import { PresenceEnv, runService } from '@neonchat/common/runtime';
import { createPresenceService } from './presence-service.js';

await runService({
  name: 'presence',
  env: PresenceEnv,
  build: (config, logger) => createPresenceService(config, { logger }),
  ops: (config) => ({ host: config.PRESENCE_METRICS_HOST, port: config.PRESENCE_METRICS_PORT }),
});
