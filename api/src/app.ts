import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Registry } from 'prom-client';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import type { Logger } from '@neonchat/common';
import { installErrorHandler } from './plugins/error-handler.js';
import { authenticateWith } from './plugins/authenticate.js';
import { healthRoutes } from './routes/health-routes.js';
import { authRoutes } from './routes/auth-routes.js';
import { chatRoutes } from './routes/chat-routes.js';
import { MembershipAnnouncer } from './domain/membership-announcer.js';
import { ErrorBody } from './schemas/common.js';

export interface AppDeps {
  readonly orm: MikroORM;
  readonly nats: NatsConnection;
  readonly registry: Registry;
  readonly logger: Logger;
}

export interface AppSettings {
  readonly jwtSecret: string;
  readonly jwtTtlSeconds: number;
  readonly bcryptCost: number;
  readonly corsOrigins: readonly string[];
}

/**
 * The api as a fastify instance, built but not listening: `main.ts` listens, tests use
 * `app.inject`. Every dependency comes in from outside.
 */
export async function buildApp(deps: AppDeps, settings: AppSettings): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: 64 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, useDefaults: true, allErrors: false } },
  });
  installErrorHandler(app);
  app.addSchema(ErrorBody);

  await app.register(helmet, { contentSecurityPolicy: false });
  await app.register(cors, { origin: settings.corsOrigins.length ? [...settings.corsOrigins] : false });
  await app.register(swagger, {
    openapi: {
      info: { title: 'NeonChat API', version: '1.0.0', description: 'REST API of the NeonChat messenger backend.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const isReady = async () => !deps.nats.isClosed() && (await deps.orm.isConnected());
  await app.register(healthRoutes, { registry: deps.registry, isReady });

  const authenticate = authenticateWith(settings.jwtSecret);
  const announcer = new MembershipAnnouncer(deps.nats, deps.logger);
  await app.register(
    async (v1) => {
      await v1.register(authRoutes, {
        orm: deps.orm,
        jwtSecret: settings.jwtSecret,
        jwtTtlSeconds: settings.jwtTtlSeconds,
        bcryptCost: settings.bcryptCost,
      });
      await v1.register(chatRoutes, { orm: deps.orm, authenticate, announcer });
    },
    { prefix: '/api/v1' },
  );
  return app;
}
