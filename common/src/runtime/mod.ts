// @neonchat/common/runtime: configuration, logging, metrics, tracing, NATS, shutdown, auth.
// Configuration.
export { loadConfig, loadConfigOrExit, ConfigError } from '../config/load-config.js';
export {
  ApiEnv,
  GatewayEnv,
  PersisterEnv,
  PersisterReplayEnv,
  PresenceEnv,
  CommonEnv,
  NatsEnv,
  DatabaseEnv,
  RedisEnv,
} from '../config/env-schemas.js';
export { assertProductionSecrets, JWT_SECRET_MIN_LENGTH, PRODUCTION_BCRYPT_COST_MIN } from '../config/production-secrets.js';

// Runtime.
export { createLogger, instanceName, scrubSecretText } from './logger.js';
export type { Logger } from './logger.js';
export { createMetricsRegistry, LATENCY_BUCKETS_S, TallyCounter, watchNatsConnection } from './metrics.js';
export {
  startTracing,
  injectTraceContext,
  extractTraceContext,
  inSpan,
  linkFromHeaders,
  setTracingEnabled,
  isTracingEnabled,
  SpanKind,
} from './tracing.js';
export type { Tracing } from './tracing.js';
export {
  connectNats,
  provisionStreams,
  verifyStreams,
  whileJetStreamSettles,
  streamSettingsOf,
  isJetStreamApiError,
  JS_API_CODES,
  chatEventsStreamConfig,
  deadLetterStreamConfig,
} from './nats.js';
export { ChatEventPublisher, CHAT_EVENT_PUBLISH_TIMEOUT_MS } from './chat-event-publisher.js';
export { StreamPublisher, StreamPublishError } from './stream-publisher.js';
export type { StreamPublishFailure, StreamPublisherOptions } from './stream-publisher.js';
export type { NatsOptions, StreamSettings } from './nats.js';
export { createShutdown } from './shutdown.js';
export { runService } from './run-service.js';
export { runServiceCluster, RestartPolicy, clusterReady } from './service-cluster.js';
export type { ServiceCluster, ServiceClusterOptions } from './service-cluster.js';
export type { MetricsSource } from './ops-server.js';
export type { RunnableService, ServiceMain } from './run-service.js';
export type { Shutdown, ShutdownStep } from './shutdown.js';
export { startOpsServer } from './ops-server.js';
export type { OpsServer, OpsServerOptions } from './ops-server.js';
export { isoTimestamp, uuidv7, uuidv7Time } from './ids.js';
export { isOutageError } from './outage.js';

// Auth.
export { signAccessToken, verifyAccessToken, bearerToken } from '../auth/access-token.js';
export type { AccessClaims } from '../auth/access-token.js';
export { EncodedHeaders } from './encoded-headers.js';
export { HeaderView } from './header-view.js';
