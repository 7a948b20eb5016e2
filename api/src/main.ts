import { ApiEnv, assertProductionSecrets, runService } from '@neonchat/common/runtime';
import { createApiService } from './service.js';

// The api serves /healthz, /readyz and /metrics on its own port: no ops server.
await runService({
  name: 'api',
  env: ApiEnv,
  check: assertProductionSecrets,
  build: async (config, logger) => {
    const service = await createApiService(config, { logger });
    return {
      isReady: () => true,
      start: async () => {
        await service.app.listen({ host: config.API_HOST, port: config.API_PORT });
      },
      close: () => service.close(),
    };
  },
});
