import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface HealthDeps {
  readonly registry: Registry;
  readonly isReady: () => Promise<boolean>;
}

export async function healthRoutes(app: FastifyInstance, deps: HealthDeps): Promise<void> {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const ready = await deps.isReady().catch(() => false);
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready' });
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    return reply.type(deps.registry.contentType).send(await deps.registry.metrics());
  });
}
