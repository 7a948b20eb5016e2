import Type from 'typebox';

/**
 * Environment variables, one schema per service, composed from the pieces they share. Every
 * variable here is listed in `.env.example`.
 */
const Port = (fallback: number) => Type.Integer({ minimum: 0, maximum: 65535, default: fallback });

export const CommonEnv = {
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('test'), Type.Literal('production')], {
    default: 'development',
  }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  /** OTLP/HTTP collector for traces, e.g. http://127.0.0.1:4318; tracing is off when unset. */
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** Hard deadline for a graceful shutdown, after which the process exits anyway. */
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10000 }),
  /** This instance's name in every log line (api-1, gateway-2, a pod name); the host name when unset. */
  INSTANCE_ID: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._-]+$' })),
};

export const NatsEnv = {
  NATS_URL: Type.String({ minLength: 1, default: 'nats://127.0.0.1:4222' }),
  /** Replicas of the streams NeonChat creates: 1 on one server, 3 on a cluster. */
  NATS_STREAM_REPLICAS: Type.Integer({ minimum: 1, maximum: 5, default: 1 }),
  /** How long the chat stream keeps events: the window for resume and for outages. */
  NATS_STREAM_MAX_AGE_S: Type.Integer({ minimum: 60, default: 7 * 24 * 3600 }),
  NATS_STREAM_MAX_BYTES: Type.Integer({ minimum: -1, default: 8 * 1024 ** 3 }),
  /** Window in which a resend with the same (user, request_id) is recognised. */
  NATS_DUPLICATE_WINDOW_S: Type.Integer({ minimum: 1, default: 120 }),
};

export const DatabaseEnv = {
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://', default: 'postgres://neon@127.0.0.1:5432/neonchat' }),
  DATABASE_POOL_MAX: Type.Integer({ minimum: 1, default: 10 }),
};

export const RedisEnv = {
  REDIS_URL: Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' }),
};

const Jwt = {
  /** HS256 secret shared by the api (signs) and the gateway (verifies). */
  JWT_SECRET: Type.String({ minLength: 1 }),
  JWT_TTL_S: Type.Integer({ minimum: 60, default: 86400 }),
};

export const ApiEnv = Type.Object({
  ...CommonEnv,
  ...NatsEnv,
  ...DatabaseEnv,
  ...RedisEnv,
  ...Jwt,
  API_HOST: Type.String({ default: '127.0.0.1' }),
  API_PORT: Port(8080),
  BCRYPT_COST: Type.Integer({ minimum: 4, maximum: 15, default: 10 }),
  /** Comma-separated origins allowed by CORS; empty allows none. */
  CORS_ORIGINS: Type.String({ default: '' }),
  RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, default: 100 }),
  /** Comma-separated addresses or CIDRs of load balancers whose X-Forwarded-For is believed; empty: none. */
  API_TRUSTED_PROXIES: Type.String({ default: '', pattern: '^[0-9A-Fa-f.:/, ]*$', maxLength: 2000 }),
  /** The built web client served at `/`; empty: web/dist of this checkout. */
  WEB_DIR: Type.String({ default: '' }),
  /** The gateway's WebSocket URL as browsers reach it; empty: `/ws` on the page's own host. */
  WEB_WS_URL: Type.String({ default: '', maxLength: 2000 }),
});

export const GatewayEnv = Type.Object({
  ...CommonEnv,
  ...NatsEnv,
  ...DatabaseEnv,
  ...Jwt,
  GATEWAY_HOST: Type.String({ default: '127.0.0.1' }),
  GATEWAY_PORT: Port(8082),
  /**
   * Processes that serve GATEWAY_PORT together, one core each (the kernel spreads connections
   * over them); 0: one per core but one. 1 in k8s, where pods scale out instead.
   */
  GATEWAY_WORKERS: Type.Integer({ minimum: 0, maximum: 64, default: 0 }),
  /** /healthz, /readyz and /metrics, on a port of their own. */
  GATEWAY_METRICS_PORT: Port(9082),
  /** A stable name for this instance, used in presence reports; random when unset. */
  GATEWAY_ID: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  GATEWAY_MAX_FRAME_BYTES: Type.Integer({ minimum: 256, default: 16 * 1024 }),
  GATEWAY_MAX_BACKPRESSURE_BYTES: Type.Integer({ minimum: 1024, default: 1024 * 1024 }),
  GATEWAY_IDLE_TIMEOUT_S: Type.Integer({ minimum: 8, default: 60 }),
  GATEWAY_MAX_SOCKETS_PER_USER: Type.Integer({ minimum: 1, default: 20 }),
  GATEWAY_RATE_PER_SECOND: Type.Integer({ minimum: 1, default: 20 }),
  GATEWAY_RATE_BURST: Type.Integer({ minimum: 1, default: 40 }),
  /** A resume that would replay more events than this is told to reload over REST. */
  GATEWAY_RESUME_MAX_EVENTS: Type.Integer({ minimum: 1, default: 1000 }),
  /** Every live connection is reported to presence in one message per interval. */
  GATEWAY_PRESENCE_HEARTBEAT_S: Type.Integer({ minimum: 1, default: 20 }),
  /** A message the stream has not acked within this is answered `unavailable` (the client resends, deduplicated). */
  GATEWAY_PUBLISH_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 5000 }),
  /** A socket that got fan-out and has not answered a lag probe (ping) within this is closed with 4008; 0: off. */
  GATEWAY_SLOW_SOCKET_MS: Type.Integer({ minimum: 0, maximum: 600_000, default: 2000 }),
  /** How often sockets that got fan-out are probed, the buffered total checked and the event-loop delay read. */
  GATEWAY_LAG_PROBE_MS: Type.Integer({ minimum: 50, maximum: 60_000, default: 500 }),
  /** Only followers of a chat that fanned out at least this many bytes in a probe round are probed; 0: every chat with any. */
  GATEWAY_LAG_PROBE_MIN_BYTES: Type.Integer({ minimum: 0, maximum: 1024 * 1024 * 1024, default: 16 * 1024 }),
  /** Bytes uWS may buffer for all sockets together; past it the sockets holding the most are closed with 4008; 0: off. */
  GATEWAY_MAX_BUFFERED_TOTAL_BYTES: Type.Integer({ minimum: 0, default: 256 * 1024 * 1024 }),
  /** New sends are answered `unavailable` while the oldest publish in flight is older than this (below GATEWAY_PUBLISH_TIMEOUT_MS); 0: off. */
  GATEWAY_SHED_ACK_AGE_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 1000 }),
  /** New sends are answered `unavailable` while the event loop's delay p99 over the last probe interval is above this; 0: off. */
  GATEWAY_SHED_LOOP_DELAY_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 1000 }),
  /** New sends are answered `unavailable` while this many publishes wait for their ack; 0: off. */
  GATEWAY_MAX_PUBLISHES_IN_FLIGHT: Type.Integer({ minimum: 0, default: 10_000 }),
});

export const PersisterEnv = Type.Object({
  ...CommonEnv,
  ...NatsEnv,
  ...DatabaseEnv,
  PERSISTER_METRICS_PORT: Port(9083),
  PERSISTER_METRICS_HOST: Type.String({ default: '127.0.0.1' }),
  PERSISTER_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 10000, default: 500 }),
  PERSISTER_BATCH_WAIT_MS: Type.Integer({ minimum: 1, default: 50 }),
  PERSISTER_ACK_WAIT_S: Type.Integer({ minimum: 1, default: 30 }),
  PERSISTER_MAX_ACK_PENDING: Type.Integer({ minimum: 1, default: 20000 }),
  PERSISTER_MAX_DELIVER: Type.Integer({ minimum: 2, default: 10 }),
  /** Batches written at once by one replica; per-chat order holds whatever the count (every write is guarded by stream sequence). */
  PERSISTER_WRITE_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 16, default: 3 }),
  /** First and largest nak delay (ms) after a failed write; the delay doubles in between. */
  PERSISTER_RETRY_BASE_MS: Type.Integer({ minimum: 1, default: 250 }),
  PERSISTER_RETRY_MAX_MS: Type.Integer({ minimum: 1, default: 10000 }),
});

export const PresenceEnv = Type.Object({
  ...CommonEnv,
  ...NatsEnv,
  ...DatabaseEnv,
  ...RedisEnv,
  PRESENCE_METRICS_PORT: Port(9084),
  PRESENCE_METRICS_HOST: Type.String({ default: '127.0.0.1' }),
  /** Lifetime of `online:{user}` and of a connection without a heartbeat (seed: 65 s). */
  PRESENCE_TTL_S: Type.Integer({ minimum: 1, default: 65 }),
  /** A user whose last connection closed is announced offline only after this, so a quick reconnect makes no noise. */
  PRESENCE_OFFLINE_GRACE_MS: Type.Integer({ minimum: 0, default: 3000 }),
  /** How often expired connections (dead gateways) and due offline announcements are swept. */
  PRESENCE_SWEEP_INTERVAL_MS: Type.Integer({ minimum: 20, default: 1000 }),
  /** NATS queue group shared by presence replicas for reports and queries. */
  PRESENCE_QUEUE_GROUP: Type.String({ minLength: 1, default: 'presence' }),
  /** Most connect/disconnect/status reports applied in one Redis script call. */
  PRESENCE_REPORT_BATCH_MAX: Type.Integer({ minimum: 1, default: 1000 }),
});

/** `persister/dist/replay-cli.js`: moves the persister's consumer back after a PostgreSQL restore. */
export const PersisterReplayEnv = Type.Object({
  ...CommonEnv,
  ...NatsEnv,
  ...DatabaseEnv,
  /** The replay starts this long before the newest message of the restored database (covers the persister's lag then). */
  PERSISTER_REPLAY_MARGIN_S: Type.Integer({ minimum: 0, maximum: 30 * 86400, default: 300 }),
  /** Or from this time (ISO 8601), e.g. the restore target minus the lag. */
  PERSISTER_REPLAY_FROM: Type.Optional(
    Type.String({ minLength: 10, maxLength: 40, pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+(Z|[+-][0-9:]+)?$' }),
  ),
});
