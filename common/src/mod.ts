// Contracts: the shapes every service speaks.
export { ERROR_CODES, CLOSE_CODES, NeonError, isNeonError, httpStatusOf } from './contracts/error-codes.js';
export type { ErrorCode, CloseCode } from './contracts/error-codes.js';
export { STREAMS, CONSUMERS, SUBJECTS, ORIGIN_CONNECTION_HEADER, chatIdOfSubject, sendDedupId } from './contracts/subjects.js';
export { compileValidator } from './contracts/validation.js';
export { UUID_PATTERN, canonicalId, requireCanonicalId, canonicalize, unstorableReason } from './contracts/canonical.js';
export { messageFromRow, messageFromCreatedEvent, toIsoTimestamp } from './contracts/message-mapping.js';
export type { MessageRowLike } from './contracts/message-mapping.js';
export type { Validator, FieldError } from './contracts/validation.js';
export * from './contracts/model.js';
export * from './contracts/chat-events.js';
export * from './contracts/presence-events.js';
export * from './contracts/frames.js';
export { CHAT_ACTIONS, decide, can, denialCode } from './permissions.js';
export type { ChatAction, Membership, Decision, DenyReason } from './permissions.js';

// Configuration.
export { loadConfig, loadConfigOrExit, ConfigError } from './config/load-config.js';
export { ApiEnv, GatewayEnv, PersisterEnv, PresenceEnv, CommonEnv, NatsEnv, DatabaseEnv, RedisEnv } from './config/env-schemas.js';
export { assertProductionSecrets, JWT_SECRET_MIN_LENGTH, PRODUCTION_BCRYPT_COST_MIN } from './config/production-secrets.js';

// Runtime.
export { createLogger, scrubSecretText } from './runtime/logger.js';
export type { Logger } from './runtime/logger.js';
export { createMetricsRegistry, LATENCY_BUCKETS_S } from './runtime/metrics.js';
export {
  startTracing,
  injectTraceContext,
  extractTraceContext,
  inSpan,
  linkFromHeaders,
  setTracingEnabled,
  SpanKind,
} from './runtime/tracing.js';
export type { Tracing } from './runtime/tracing.js';
export { connectNats, ensureStreams, chatEventsStreamConfig, deadLetterStreamConfig } from './runtime/nats.js';
export type { NatsOptions, StreamSettings } from './runtime/nats.js';
export { createShutdown } from './runtime/shutdown.js';
export type { Shutdown, ShutdownStep } from './runtime/shutdown.js';
export { startOpsServer } from './runtime/ops-server.js';
export type { OpsServer, OpsServerOptions } from './runtime/ops-server.js';
export { uuidv7, uuidv7Time } from './runtime/ids.js';
export { isOutageError } from './runtime/outage.js';

// Data model.
export { UserEntity, ChatEntity, ChatMemberEntity, MessageEntity, ALL_ENTITIES } from './db/entities.js';
export type { UserRow, ChatRow, ChatMemberRow, MessageRow } from './db/entities.js';
export { openOrm, ormConfig, migrate } from './db/orm.js';
export type { OrmOptions } from './db/orm.js';

// Auth.
export { signAccessToken, verifyAccessToken, bearerToken } from './auth/access-token.js';
export type { AccessClaims } from './auth/access-token.js';
