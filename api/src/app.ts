import type { Duplex } from 'node:stream';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import { jetstreamManager } from '@nats-io/jetstream';
import { ChatEventPublisher, type Logger, type RevocationList, type SigningKeys } from '@neonchat/common/runtime';
import { installErrorHandler } from './plugins/error-handler.js';
import { installCanonicalInput } from './plugins/canonical-input.js';
import { splitCoercionSchemaController } from './plugins/validation.js';
import { installRequestMetrics } from './plugins/request-metrics.js';
import { installRequestContext, requestContextOptions } from './plugins/request-context.js';
import { installRateLimit } from './plugins/rate-limit.js';
import { installWebClient, type WebClientOptions } from './plugins/web-client.js';
import { TokenVerifier } from './plugins/token-verifier.js';
import { healthRoutes } from './routes/health-routes.js';
import { authRoutes } from './routes/auth-routes.js';
import { authenticatedRoutes } from './routes/authenticated-routes.js';
import { installDataAccess } from './plugins/data-access.js';
import { MembershipAnnouncer } from './domain/membership-announcer.js';
import { PresenceLookup } from './domain/presence-lookup.js';
import { Sessions } from './domain/sessions.js';
import { UserBlocks } from './domain/user-blocks.js';
import { LoginThrottle } from './domain/login-throttle.js';
import { ErrorBody } from './schemas/common.js';
import { openApiOptions } from './openapi/openapi-options.js';
import { asyncApiRoutes } from './openapi/asyncapi-routes.js';
import { installRefusalLog } from './plugins/refusal-log.js';
import type { AttachmentParts } from './attachment-parts.js';
import { LocalBlobStore } from './storage/local-blob-store.js';
import { blobRoutes } from './routes/blob-routes.js';

export interface AppDeps {
  readonly orm: MikroORM;
  readonly nats: NatsConnection;
  readonly redis: Redis;
  readonly registry: Registry;
  readonly logger: Logger;
  /** Ended sessions and deleted accounts, shared with every gateway (started by the caller). */
  readonly revocations: RevocationList;
  /** Uploads, downloads, thumbnails and the sweeper (issue 29). */
  readonly attachments: AttachmentParts;
}

export interface AppSettings {
  /** Signs with the current key, accepts the previous ones. */
  readonly keys: SigningKeys;
  readonly jwtTtlSeconds: number;
  readonly refreshTtlSeconds: number;
  readonly bcryptCost: number;
  readonly loginFreeFailures: number;
  readonly loginMaxBlockSeconds: number;
  readonly registerConflictsPerHour: number;
  readonly corsOrigins: readonly string[];
  readonly rateLimitPerMinute: number;
  /** Redis key prefix of the rate-limit counters, shared by every replica of a deployment. */
  readonly rateLimitNamespace: string;
  /** How long a list waits for presence before showing everyone offline. */
  readonly presenceTimeoutMs: number;
  /** Load balancers whose X-Forwarded-For is believed (addresses or CIDRs); empty: none. */
  readonly trustedProxies?: readonly string[];
  /** The browser client at `/` (not rate-limited, like the docs); absent: not served. */
  readonly webClient?: WebClientOptions;
}

/**
 * The api as a fastify instance, built but not listening: `main.ts` listens, tests use
 * `app.inject`. Every dependency comes in from outside.
 */
export async function buildApp(deps: AppDeps, settings: AppSettings): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: 64 * 1024,
    clientErrorHandler: answerClientError,
    // A path fastify cannot route (bad percent-encoding, a parameter over its length limit): our
    // shape and code, and the path is not quoted back.
    frameworkErrors: (_err, _request, reply) => {
      void (reply as FastifyReply).status(400).send({ error: { code: 'validation_failed', message: 'malformed or oversized path' } });
    },
    schemaController: splitCoercionSchemaController(),
    ...requestContextOptions(settings.trustedProxies ?? []),
  });
  installRequestContext(app);
  installErrorHandler(app, { dependencyDown: async () => !(await dependenciesUp(deps)) });
  installCanonicalInput(app);
  installRequestMetrics(app, deps.registry);
  installRefusalLog(app);
  app.addSchema(ErrorBody);

  await app.register(helmet, { contentSecurityPolicy: false });
  await app.register(cors, {
    origin: settings.corsOrigins.length ? [...settings.corsOrigins] : false,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type'],
    maxAge: 600,
  });
  await app.register(swagger, openApiOptions);
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(asyncApiRoutes);
  if (settings.webClient) await installWebClient(app, settings.webClient);

  const isReady = async () => !deps.nats.isClosed() && (await deps.orm.isConnected());
  await app.register(healthRoutes, { registry: deps.registry, isReady });

  const tokens = new TokenVerifier(settings.keys);
  // Registered after health, metrics and docs so only the API itself is limited.
  await installRateLimit(app, {
    redis: deps.redis,
    perMinute: settings.rateLimitPerMinute,
    tokens,
    namespace: settings.rateLimitNamespace,
  });

  const announcer = new MembershipAnnouncer(deps.nats, deps.logger);
  const presence = new PresenceLookup(deps.nats, deps.logger, deps.registry, settings.presenceTimeoutMs);
  const publisher = new ChatEventPublisher(deps.nats, await jetstreamManager(deps.nats));
  const sessions = new Sessions(
    { keys: settings.keys, accessTtlSeconds: settings.jwtTtlSeconds, refreshTtlSeconds: settings.refreshTtlSeconds },
    deps.revocations,
  );
  const blocks = new UserBlocks(deps.nats, deps.logger);
  const throttle = new LoginThrottle({
    redis: deps.redis,
    namespace: settings.rateLimitNamespace,
    freeFailures: settings.loginFreeFailures,
    maxBlockSeconds: settings.loginMaxBlockSeconds,
    registerConflictsPerHour: settings.registerConflictsPerHour,
  });
  await app.register(
    async (v1) => {
      installDataAccess(v1, deps.orm);
      await v1.register(authRoutes, { sessions, throttle, bcryptCost: settings.bcryptCost });
      await v1.register(authenticatedRoutes, {
        tokens,
        revocations: deps.revocations,
        announcer,
        presence,
        publisher,
        account: { sessions, blocks, revocations: deps.revocations, bcryptCost: settings.bcryptCost },
        attachments: deps.attachments.service,
      });
      // The local store's signed URLs: the signature is the permission, no token.
      const { store, metrics } = deps.attachments;
      if (store instanceof LocalBlobStore) await v1.register(blobRoutes, { store, metrics });
    },
    { prefix: '/api/v1' },
  );
  return app;
}

/**
 * Requests Node refuses before fastify sees them (malformed HTTP, headers over the limit) get
 * the same `{error: {code, message}}` shape as every other refusal, then the connection closes.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? ['431 Request Header Fields Too Large', 'payload_too_large', 'request line or headers too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ['408 Request Timeout', 'unavailable', 'request not received in time']
        : ['400 Bad Request', 'validation_failed', 'malformed HTTP request'];
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** Probe time for the error path: an error that is not ours asks whether PostgreSQL, Redis and NATS are there. */
const DEPENDENCY_PROBE_MS = 1000;

async function dependenciesUp(deps: AppDeps): Promise<boolean> {
  if (deps.nats.isClosed() || deps.redis.status !== 'ready') return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), DEPENDENCY_PROBE_MS);
  });
  try {
    return await Promise.race([deps.orm.isConnected(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
