import { ApiEnv, assertProductionSecrets, runService } from '@neonchat/common/runtime';

// The api serves /healthz, /readyz and /metrics on its own port: no ops server.
// The factory is imported once tracing has started (in runService), so that the
// instrumentations see pg, ioredis and http load.
const load = () => import('./service.js');

await runService({
  name: 'api',
  env: ApiEnv,
  check: assertProductionSecrets,
  build: async (config, logger) => {
    const { createApiService } = await load();
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
