import { randomUUID } from 'node:crypto';
import type { Static } from 'typebox';
import pg from 'pg';
import type { TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import type { NatsConnection } from '@nats-io/nats-core';
import { type GatewayEnv, RevocationList, SigningKeys, createLogger, createMetricsRegistry, type Logger } from '@neonchat/common/runtime';
import type { TypingEventFrame } from '@neonchat/common/contracts';
import type { Registry } from 'prom-client';
import { loadAndNameUws } from './native-uws.js';
import { MembershipReader } from './membership-reader.js';
import { HistoryReader } from './history-reader.js';
import { AttachmentClaims } from './attachment-claims.js';
import { MessageParts } from './message-parts.js';
import { MessageComposer } from './messages/message-composer.js';
import { createGatewayMetrics, type GatewayMetrics } from './metrics.js';
import type { SocketState } from './socket-state.js';
import { PresenceReporter, type LiveConnection } from './presence-reporter.js';
import { PresenceIndex } from './presence-index.js';
import { SocketRegistry } from './socket-registry.js';
import { Outbound } from './outbound.js';
import { OverloadGuard, overloadSettingsOf } from './overload-guard.js';
import { CatchUp } from './catch-up.js';
import { ChatAccess } from './chat-access.js';
import { ChatHub } from './chat-hub.js';
import { ConnectionLifecycle } from './connection-lifecycle.js';
import { subscribeBus } from './bus-subscriptions.js';
import { createFrameHandlers } from './frame-handlers.js';
import { FrameRouter } from './frame-router.js';
import { TypingTracker, type TypingPublisher } from './typing-tracker.js';
import { ChatStreamReader } from './stream-reader.js';
import type { ChatBus } from './bus/chat-bus.js';
import { NatsChatBus } from './bus/nats-chat-bus.js';
import { DirectChatBlocks } from './direct-chat-blocks.js';
import { closeRevokedSockets } from './session-revocations.js';
import { KnownUsers } from './known-users.js';

export type GatewayConfig = Static<typeof GatewayEnv>;

export interface Gateway {
  readonly id: string;
  readonly port: number;
  readonly registry: Registry;
  readonly nats: NatsConnection;
  /** Open sockets right now. */
  readonly connectionCount: number;
  /** Accepting sockets and connected to NATS. */
  isReady(): boolean;
  listen(): Promise<void>;
  /** Not ready → sockets closed with 1001 and a reconnect hint → NATS drained → pool closed. */
  close(): Promise<void>;
}

/** How often every socket is checked for a send buffer past the bound (only after presence fan-out). */
const BACKPRESSURE_SWEEP_MS = 1000;
/**
 * uWS skips (drops) topic messages for a socket buffering more than its `maxBackpressure`. Ours is
 * the bound that counts (checked after every burst of fan-out, closing with 4008); uWS's is set
 * far above it, at least this much, so one event-loop turn of fan-out can't cross both at once,
 * and `closeOnBackpressureLimit` makes a drop that still happens end the socket (1006, counted
 * as `uws_limit`), never pass silently.
 */
const UWS_BACKPRESSURE_FLOOR_BYTES = 16 * 1024 * 1024;
const UWS_BACKPRESSURE_FACTOR = 4;
/** `ready` waits for NATS to confirm the socket's subscriptions, but not longer than this. */
const READY_FLUSH_TIMEOUT_MS = 2000;
/** How long a starting gateway waits for the chat stream to be provisioned (by the persister or the provision step). */
const STREAM_WAIT_MS = 60_000;
/** Frames up to this many times the limit reach the router, which answers `payload_too_large`. */
const UWS_PAYLOAD_FACTOR = 4;
/**
 * Users remembered as existing, upgraded without a read first (a UUID and an entry: ~200 bytes
 * each, so at most ~10 MiB), and for how long: a reconnect within it is upgraded at once.
 */
const KNOWN_USERS_MAX = 50_000;
const KNOWN_USERS_TTL_MS = 10 * 60_000;

/**
 * Builds a gateway, wired but not listening until `listen()`; `main.ts` and the tests both
 * build it here. Only wiring: each part is built once with what it needs, in dependency order,
 * and none calls back into this function (see the README's file map).
 */
export async function createGateway(config: GatewayConfig, options: { logger?: Logger } = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger('gateway', config.LOG_LEVEL);
  const { uws } = loadAndNameUws(logger);
  const gatewayId = config.GATEWAY_ID ?? `gw-${randomUUID().slice(0, 8)}`;
  const registry = createMetricsRegistry('gateway');
  const metrics = createGatewayMetrics(registry);
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: config.DATABASE_POOL_MAX });
  pool.on('error', (err) => logger.error({ err }, 'idle database connection failed'));
  const blocks = new DirectChatBlocks(pool);
  const memberships = new MembershipReader(pool, blocks);
  const history = new HistoryReader(pool);
  const bus = await NatsChatBus.connect({
    url: config.NATS_URL,
    name: `neonchat-gateway-${gatewayId}`,
    registry,
    logger,
    publishTimeoutMs: config.GATEWAY_PUBLISH_TIMEOUT_MS,
    streamWaitMs: STREAM_WAIT_MS,
  });
  const reader = new ChatStreamReader(bus, () => metrics.drops.inc({ reason: 'malformed' }), logger);
  // The whole revocation list is in memory before the first upgrade (a restarted gateway too).
  const revocations = await RevocationList.open(bus.nc, {
    ttlSeconds: config.JWT_TTL_S,
    replicas: config.NATS_STREAM_REPLICAS,
    onError: (err) => {
      metrics.internalErrors.inc({ where: 'revocations' });
      logger.error({ err }, 'revocation list trouble');
    },
  });
  await revocations.start();
  blocks.follow(bus);
  const app: TemplatedApp = uws.App();
  const sockets = new SocketRegistry();
  const outbound = new Outbound(sockets, config.GATEWAY_MAX_BACKPRESSURE_BYTES, metrics, logger);
  const overload = new OverloadGuard(overloadSettingsOf(config), sockets, outbound, metrics, bus.events);
  const presence = new PresenceReporter(bus, gatewayId, logger, () => metrics.internalErrors.inc({ where: 'presence_report' }));
  const presenceIndex = presenceIndexOf(memberships, metrics, logger);
  const typing = new TypingTracker(typingPublisher(bus, metrics, logger));
  const hub = new ChatHub({
    bus,
    readGap: reader.gapReader,
    app,
    sockets,
    presenceIndex,
    typing,
    outbound,
    metrics,
    logger,
  });
  const catchUp = new CatchUp({ reader, hub, history, outbound, metrics, resumeMaxEvents: config.GATEWAY_RESUME_MAX_EVENTS });
  const router = new FrameRouter(
    createFrameHandlers({
      publisher: bus.events,
      history,
      composer: new MessageComposer({
        parts: new MessageParts(pool, bus),
        attachments: new AttachmentClaims(pool, config.UPLOAD_MAX_BYTES),
        admitPublish: () => overload.admitPublish(),
      }),
      access: new ChatAccess(memberships, hub),
      blocks,
      catchUp,
      typing,
      presence,
      registry: sockets,
      outbound,
      metrics,
      overload,
    }),
    outbound,
    metrics,
    logger,
    config.GATEWAY_MAX_FRAME_BYTES,
  );
  const knownUsers = knownUsersOf(revocations);
  const connections = new ConnectionLifecycle({
    settings: {
      gatewayId,
      keys: SigningKeys.fromConfig(config),
      maxSocketsPerUser: config.GATEWAY_MAX_SOCKETS_PER_USER,
      ratePerSecond: config.GATEWAY_RATE_PER_SECOND,
      rateBurst: config.GATEWAY_RATE_BURST,
      readyFlushTimeoutMs: READY_FLUSH_TIMEOUT_MS,
    },
    revocations,
    hub,
    sockets,
    memberships,
    knownUsers,
    presence,
    router,
    outbound,
    metrics,
    logger,
  });
  subscribeBus({ bus, hub, sockets, memberships, presenceIndex, app, outbound, metrics, logger });
  closeRevokedSockets(revocations, sockets, metrics);
  presence.startHeartbeats(config.GATEWAY_PRESENCE_HEARTBEAT_S * 1000, () => liveConnectionsOf(sockets));
  outbound.startSweeps(BACKPRESSURE_SWEEP_MS);
  overload.start();
  serveSockets(app, config, connections, overload);
  let listenSocket: us_listen_socket | false = false;
  let port = 0;
  const isReady = () => connections.accepting && bus.usable && listenSocket !== false;
  serveProbes(app, isReady);

  return {
    id: gatewayId,
    registry,
    nats: bus.nc,
    get port() {
      return port;
    },
    get connectionCount() {
      return sockets.size;
    },
    isReady,
    listen: () =>
      new Promise<void>((resolve, reject) => {
        app.listen(config.GATEWAY_HOST, config.GATEWAY_PORT, (token) => {
          if (!token) return reject(new Error(`gateway could not listen on ${config.GATEWAY_HOST}:${config.GATEWAY_PORT} (port in use?)`));
          listenSocket = token;
          port = uws.us_socket_local_port(token);
          logger.info({ port, gateway_id: gatewayId }, 'gateway listening');
          resolve();
        });
      }),
    async close() {
      if (!connections.accepting) return;
      connections.stopAccepting();
      if (listenSocket) uws.us_listen_socket_close(listenSocket);
      listenSocket = false;
      connections.closeAll();
      typing.close();
      outbound.stop();
      overload.stop();
      presence.stop();
      revocations.stop();
      await bus.close();
      await pool.end();
    },
  };
}

/** Who shares a chat with whom, for presence frames; loaded from PostgreSQL as chats are followed. */
function presenceIndexOf(memberships: MembershipReader, metrics: GatewayMetrics, logger: Logger): PresenceIndex {
  return new PresenceIndex(
    (chatIds) => memberships.membersOf(chatIds),
    (err) => {
      metrics.internalErrors.inc({ where: 'presence_members' });
      logger.error({ err }, 'could not load chat members for presence');
    },
  );
}

/** Users upgraded without a read first; a deleted account (refused by the list itself) is forgotten too. */
function knownUsersOf(revocations: RevocationList): KnownUsers {
  const knownUsers = new KnownUsers({ max: KNOWN_USERS_MAX, ttlMs: KNOWN_USERS_TTL_MS });
  revocations.onRevoked((event) => {
    if (event.user?.deleted) knownUsers.forget(event.userId);
  });
  return knownUsers;
}

/** Every open socket, as the presence heartbeat reports it. */
function liveConnectionsOf(sockets: SocketRegistry): LiveConnection[] {
  return Array.from(sockets.all(), (ws) => {
    const s = ws.getUserData();
    return { connection_id: s.connectionId, user_id: s.userId };
  });
}

/** The WebSocket route: uWS's limits around ours, every event to the connection's lifecycle. */
function serveSockets(app: TemplatedApp, config: GatewayConfig, connections: ConnectionLifecycle, overload: OverloadGuard): void {
  app.ws<SocketState>('/ws', {
    maxPayloadLength: config.GATEWAY_MAX_FRAME_BYTES * UWS_PAYLOAD_FACTOR,
    maxBackpressure: Math.max(config.GATEWAY_MAX_BACKPRESSURE_BYTES * UWS_BACKPRESSURE_FACTOR, UWS_BACKPRESSURE_FLOOR_BYTES),
    closeOnBackpressureLimit: 1,
    idleTimeout: config.GATEWAY_IDLE_TIMEOUT_S,
    sendPingsAutomatically: true,
    upgrade: connections.upgrade,
    open: connections.open,
    message: connections.message,
    drain: connections.drain,
    close: connections.close,
    pong: (ws, message) => overload.pong(ws, message),
  });
}

/** Liveness, readiness (for the load balancer) and a JSON 404 for anything else. */
function serveProbes(app: TemplatedApp, isReady: () => boolean): void {
  app.get('/healthz', (res) => {
    res.writeHeader('content-type', 'application/json').end('{"status":"ok"}');
  });
  app.get('/readyz', (res) => {
    const ready = isReady();
    res
      .writeStatus(ready ? '200 OK' : '503 Service Unavailable')
      .writeHeader('content-type', 'application/json')
      .end(JSON.stringify({ status: ready ? 'ready' : 'not_ready' }));
  });
  app.any('/*', (res) => {
    res
      .writeStatus('404 Not Found')
      .writeHeader('content-type', 'application/json')
      .end('{"error":{"code":"not_found","message":"no such path"}}');
  });
}

/** Typing goes on core NATS only, never stored; the origin header lets fan-out skip the typist's socket. */
function typingPublisher(bus: ChatBus, metrics: GatewayMetrics, logger: Logger): TypingPublisher {
  return (chatId, userId, isTyping, origin) => {
    const frame: TypingEventFrame = { type: 'typing', user_id: userId, chat_id: chatId, is_typing: isTyping };
    try {
      bus.publishTyping(chatId, JSON.stringify(frame), origin);
    } catch (err) {
      metrics.internalErrors.inc({ where: 'typing_publish' });
      logger.warn({ err, chat_id: chatId }, 'typing not published');
    }
  };
}
