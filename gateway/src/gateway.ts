import { randomUUID } from 'node:crypto';
import type { Static } from 'typebox';
import pg from 'pg';
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  CLOSE_CODES,
  type GatewayEnv,
  NeonError,
  ORIGIN_CONNECTION_HEADER,
  SUBJECTS,
  clientFrameValidators,
  connectNats,
  createLogger,
  createMetricsRegistry,
  ensureStreams,
  isNeonError,
  membershipChangedValidator,
  presenceChangedValidator,
  verifyAccessToken,
  type AccessClaims,
  type ErrorCode,
  type Logger,
  type MembershipChangedEvent,
  type PresenceEventFrame,
  type TypingEventFrame,
} from '@neonchat/common';
import type { Registry } from 'prom-client';
import { loadNativeUws } from './native-uws.js';
import { MembershipReader } from './membership-reader.js';
import { HistoryReader } from './history-reader.js';
import { LiveFeed, type LiveFeedSink } from './live-feed.js';
import { chatTopic, userTopic } from './chat-topics.js';
import { createGatewayMetrics } from './metrics.js';
import type { ChatMembershipView, SocketState } from './socket-state.js';
import { PresenceReporter } from './presence-reporter.js';
import { PresenceIndex } from './presence-index.js';
import { SocketRegistry, type Socket } from './socket-registry.js';
import { Outbound } from './outbound.js';
import { CatchUp } from './catch-up.js';
import { ChatAccess } from './chat-access.js';
import { createFrameHandlers } from './frame-handlers.js';
import { FrameRouter } from './frame-router.js';
import { TypingTracker } from './typing-tracker.js';
import { TokenBucket } from './rate-limit.js';
import { TokenExpiry } from './token-expiry.js';
import { upgradeCredentials } from './upgrade-auth.js';
import { readChatEvents } from './stream-reader.js';
import { closeReason } from './close-reasons.js';

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
/** A JetStream publish not acked within this is answered `unavailable` (the client resends). */
const PUBLISH_TIMEOUT_MS = 5000;
/**
 * uWS skips (drops) topic messages for a socket buffering more than its `maxBackpressure`. Ours is
 * the bound that counts (checked after every burst of fan-out, closing with 4008); uWS's is set
 * far above it, at least this much, so one event-loop turn of fan-out can't cross both at once,
 * and `closeOnBackpressureLimit` makes a drop that still happens end the socket (1006, counted
 * as `uws_limit`), never pass silently.
 */
const UWS_BACKPRESSURE_FLOOR_BYTES = 16 * 1024 * 1024;
const UWS_BACKPRESSURE_FACTOR = 4;
/** Users per query when memberships are re-read after a NATS reconnect. */
const RESYNC_BATCH = 500;
/** `ready` waits for NATS to confirm the socket's subscriptions, but not longer than this. */
const READY_FLUSH_TIMEOUT_MS = 2000;
/** Frames up to this many times the limit reach the router, which answers `payload_too_large`. */
const UWS_PAYLOAD_FACTOR = 4;

/**
 * Builds a gateway: NATS, the database pool and the uWS app, wired but not listening until
 * `listen()`. `main.ts` and the tests both build it here.
 */
export async function createGateway(config: GatewayConfig, options: { logger?: Logger } = {}): Promise<Gateway> {
  const uws = loadNativeUws();
  const logger = options.logger ?? createLogger('gateway', config.LOG_LEVEL);
  const gatewayId = config.GATEWAY_ID ?? `gw-${randomUUID().slice(0, 8)}`;
  const registry = createMetricsRegistry('gateway');
  const metrics = createGatewayMetrics(registry);
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: config.DATABASE_POOL_MAX });
  pool.on('error', (err) => logger.error({ err }, 'idle database connection failed'));
  const memberships = new MembershipReader(pool);
  const history = new HistoryReader(pool);
  const nc = await connectNats({ url: config.NATS_URL, name: `neonchat-gateway-${gatewayId}`, logger });
  await ensureStreams(nc, {
    replicas: config.NATS_STREAM_REPLICAS,
    maxAgeSeconds: config.NATS_STREAM_MAX_AGE_S,
    maxBytes: config.NATS_STREAM_MAX_BYTES,
    duplicateWindowSeconds: config.NATS_DUPLICATE_WINDOW_S,
  });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);

  const app: TemplatedApp = uws.App();
  const sockets = new SocketRegistry();
  const outbound = new Outbound(sockets, config.GATEWAY_MAX_BACKPRESSURE_BYTES, metrics, logger);
  const presence = new PresenceReporter(nc, gatewayId, logger, () => metrics.internalErrors.inc({ where: 'presence_report' }));
  const presenceIndex = new PresenceIndex(
    (chatIds) => memberships.membersOf(chatIds),
    (err) => {
      metrics.internalErrors.inc({ where: 'presence_members' });
      logger.error({ err }, 'could not load chat members for presence');
    },
  );
  let listenSocket: us_listen_socket | false = false;
  let port = 0;
  let accepting = true;
  /** Set around a topic publish: a socket uWS cuts during it was cut for backpressure. */
  let publishing = false;

  // ── fan-out: one serialization per event, uWS topics do the rest natively ────────────────
  const sink: LiveFeedSink = {
    event(e) {
      const topic = chatTopic(e.chatId);
      const origin = e.origin ? sockets.connection(e.origin) : undefined;
      catchUp.hold(e, origin);
      metrics.framesOut.inc({ type: e.type });
      const skipOrigin = origin !== undefined && e.type === 'new_message';
      const receivers = app.numSubscribers(topic) - (skipOrigin && origin.isSubscribed(topic) ? 1 : 0);
      // The sender's own socket already has `message_sent`: publishing from it leaves it out.
      publishing = true;
      try {
        if (skipOrigin) origin.publish(topic, e.data, false);
        else app.publish(topic, e.data, false);
      } finally {
        publishing = false;
      }
      if (receivers > 0) metrics.deliveries.inc({ type: e.type }, receivers);
      outbound.noteFanOut(e.chatId);
    },
    typing(chatId, data, originId) {
      const topic = chatTopic(chatId);
      const origin = originId ? sockets.connection(originId) : undefined;
      metrics.framesOut.inc({ type: 'typing' });
      if (origin) origin.publish(topic, data, false);
      else app.publish(topic, data, false);
      outbound.noteFanOut(chatId);
    },
    dropped(_chatId, reason) {
      metrics.drops.inc({ reason });
    },
    repaired(_chatId, count) {
      metrics.gapRepairs.inc(count);
    },
  };
  const feed = new LiveFeed(
    nc,
    sink,
    async (chatId, afterSeq, onEvent) => {
      await readChatEvents(js, jsm, chatId, { fromSeq: afterSeq + 1 }, onEvent);
    },
    logger,
  );
  const catchUp = new CatchUp({ js, jsm, feed, history, outbound, metrics, resumeMaxEvents: config.GATEWAY_RESUME_MAX_EVENTS });

  function follow(ws: Socket, chatId: string, view: ChatMembershipView): void {
    const state = ws.getUserData();
    state.chats.set(chatId, view);
    feed.acquire(chatId);
    // Before `ready` the socket joins no topic: `ready` itself subscribes it to every chat it then has.
    if (state.ready && !state.catchingUp.has(chatId)) {
      ws.subscribe(chatTopic(chatId));
      state.liveSince.set(chatId, feed.liveMark(chatId));
    }
    if (state.admitted) sockets.follow(ws, chatId);
    presenceIndex.follow(state.userId, [[chatId, view.type]]);
    metrics.chatSubscriptions.set(feed.size);
  }

  function unfollow(ws: Socket, chatId: string): void {
    const state = ws.getUserData();
    if (!state.chats.delete(chatId)) return;
    ws.unsubscribe(chatTopic(chatId));
    state.liveSince.delete(chatId);
    sockets.unfollow(ws, chatId);
    catchUp.abandon(ws, chatId);
    typing.stop(state.connectionId, chatId);
    state.typingIn.delete(chatId);
    feed.release(chatId);
    presenceIndex.unfollow(state.userId, chatId);
    metrics.chatSubscriptions.set(feed.size);
  }

  // ── typing: core NATS only, never stored ─────────────────────────────────────────────────
  const typing = new TypingTracker((chatId, userId, isTyping, origin) => {
    if (nc.isClosed()) return;
    const frame: TypingEventFrame = { type: 'typing', user_id: userId, chat_id: chatId, is_typing: isTyping };
    const headers = natsHeaders();
    headers.set(ORIGIN_CONNECTION_HEADER, origin);
    try {
      nc.publish(SUBJECTS.liveTyping(chatId), JSON.stringify(frame), { headers });
    } catch (err) {
      metrics.internalErrors.inc({ where: 'typing_publish' });
      logger.warn({ err, chat_id: chatId }, 'typing not published');
    }
  });

  const access = new ChatAccess(memberships, follow);
  const router = new FrameRouter(
    createFrameHandlers({
      js,
      jsm,
      access,
      catchUp,
      typing,
      presence,
      registry: sockets,
      outbound,
      metrics,
      publishTimeoutMs: PUBLISH_TIMEOUT_MS,
    }),
    outbound,
    metrics,
    logger,
    config.GATEWAY_MAX_FRAME_BYTES,
  );

  // ── membership events: open sockets follow their users' chats at once ─────────────────
  function applyMembership(ws: Socket, chatId: string, view: ChatMembershipView | undefined): void {
    const state = ws.getUserData();
    if (state.closed) return;
    if (view) {
      if (state.chats.has(chatId)) state.chats.set(chatId, view);
      else follow(ws, chatId, view);
    } else unfollow(ws, chatId);
  }

  nc.subscribe(SUBJECTS.membershipAll, {
    callback: (err, msg) => {
      if (err) return logger.error({ err }, 'membership subscription failed');
      let event: MembershipChangedEvent;
      try {
        // parse lower-cases the ids: an event naming a user or chat in upper case still finds its sockets.
        event = membershipChangedValidator.parse(safeJson(msg.data));
      } catch {
        metrics.drops.inc({ reason: 'malformed_membership' });
        return logger.warn('dropping malformed membership event');
      }
      const active = event.status === 'active';
      presenceIndex.memberChanged(event.chat_id, event.user_id, active);
      for (const ws of sockets.ofUser(event.user_id)) {
        applyMembership(ws, event.chat_id, active ? { type: event.chat_type, role: event.role } : undefined);
      }
    },
  });

  /** Membership events are core NATS: after a reconnect, re-read what may have been missed. */
  async function resyncMemberships(): Promise<void> {
    const users = [...new Set(Array.from(sockets.all(), (ws) => ws.getUserData().userId))];
    for (let i = 0; i < users.length; i += RESYNC_BATCH) {
      const chatsByUser = await memberships.activeChatsOfMany(users.slice(i, i + RESYNC_BATCH));
      for (const [userId, chats] of chatsByUser) {
        for (const ws of sockets.ofUser(userId)) {
          const state = ws.getUserData();
          for (const chatId of [...state.chats.keys()]) if (!chats.has(chatId)) applyMembership(ws, chatId, undefined);
          for (const [chatId, view] of chats) applyMembership(ws, chatId, view);
        }
      }
    }
  }
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type !== 'reconnect') continue;
      resyncMemberships().catch((err: unknown) => {
        metrics.internalErrors.inc({ where: 'membership_resync' });
        logger.error({ err }, 'membership resync after reconnect failed');
      });
    }
  })();

  // ── presence: transitions of users who share a chat with local users ────────────────────
  nc.subscribe(SUBJECTS.presenceChangedAll, {
    callback: (err, msg) => {
      if (err) return logger.error({ err }, 'presence subscription failed');
      const event = safeJson(msg.data);
      if (!presenceChangedValidator.check(event)) {
        metrics.drops.inc({ reason: 'malformed_presence' });
        return;
      }
      const recipients = presenceIndex.recipientsOf(event.user_id);
      if (!recipients.size) return;
      const frame: PresenceEventFrame = {
        type: 'presence',
        event: event.event,
        user_id: event.user_id,
        timestamp: Math.floor(event.at / 1000),
      };
      const data = JSON.stringify(frame);
      metrics.framesOut.inc({ type: 'presence' });
      for (const userId of recipients) app.publish(userTopic(userId), data, false);
      metrics.presenceDeliveries.inc(recipients.size);
      outbound.noteOtherFanOut();
    },
  });
  presence.startHeartbeats(config.GATEWAY_PRESENCE_HEARTBEAT_S * 1000, () =>
    Array.from(sockets.all(), (ws) => {
      const s = ws.getUserData();
      return { connection_id: s.connectionId, user_id: s.userId };
    }),
  );

  const expiry = new TokenExpiry<Socket>((ws) => {
    if (!ws.getUserData().closed) ws.end(CLOSE_CODES.tokenExpired, 'token expired: log in again');
  });
  outbound.startSweeps(BACKPRESSURE_SWEEP_MS);

  // ── upgrade: authenticate before the socket exists ──────────────────────────────────────
  function refuseUpgrade(res: HttpResponse, status: string, code: ErrorCode, message: string): void {
    metrics.errors.inc({ code });
    res.cork(() => {
      res
        .writeStatus(status)
        .writeHeader('content-type', 'application/json')
        .end(JSON.stringify({ error: { code, message } }));
    });
  }

  app.ws<SocketState>('/ws', {
    maxPayloadLength: config.GATEWAY_MAX_FRAME_BYTES * UWS_PAYLOAD_FACTOR,
    maxBackpressure: Math.max(config.GATEWAY_MAX_BACKPRESSURE_BYTES * UWS_BACKPRESSURE_FACTOR, UWS_BACKPRESSURE_FLOOR_BYTES),
    closeOnBackpressureLimit: 1,
    idleTimeout: config.GATEWAY_IDLE_TIMEOUT_S,
    sendPingsAutomatically: true,
    upgrade: (res: HttpResponse, req: HttpRequest, context) => {
      // Headers must be read before the first await: the request object dies with this call.
      const secKey = req.getHeader('sec-websocket-key');
      const secExtensions = req.getHeader('sec-websocket-extensions');
      const query = new URLSearchParams(req.getQuery() ?? '');
      const credentials = upgradeCredentials(query, req.getHeader('authorization'), req.getHeader('sec-websocket-protocol'));
      const openChatId = query.get('chat_id') || undefined;
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      if (!accepting) return refuseUpgrade(res, '503 Service Unavailable', 'unavailable', 'gateway is shutting down, reconnect shortly');
      let claims: AccessClaims;
      try {
        if (!credentials.token) throw new NeonError('unauthorized', 'missing token');
        claims = verifyAccessToken(credentials.token, config.JWT_SECRET);
      } catch (err) {
        // The token itself is never logged, only that it was refused.
        const code = isNeonError(err) ? err.code : 'unauthorized';
        return refuseUpgrade(res, '401 Unauthorized', code, isNeonError(err) ? err.message : 'invalid token');
      }
      if (sockets.socketsOfUser(claims.user_id) >= config.GATEWAY_MAX_SOCKETS_PER_USER) {
        return refuseUpgrade(res, '429 Too Many Requests', 'rate_limited', 'too many open sockets for this user');
      }
      memberships
        .activeChatsOf(claims.user_id)
        .then((chats) => {
          if (aborted) return;
          if (!chats) return refuseUpgrade(res, '401 Unauthorized', 'unauthorized', 'unknown user');
          const state: SocketState = {
            userId: claims.user_id,
            username: claims.username,
            connectionId: `${gatewayId}:${randomUUID()}`,
            tokenExp: claims.exp,
            chats,
            openChatId,
            bucket: new TokenBucket(config.GATEWAY_RATE_PER_SECOND, config.GATEWAY_RATE_BURST),
            liveSince: new Map(),
            catchingUp: new Map(),
            typingIn: new Set(),
            drainWaiters: [],
            nearLimit: false,
            admitted: false,
            ready: false,
            early: [],
            closed: false,
          };
          res.cork(() => res.upgrade(state, secKey, credentials.protocol, secExtensions, context));
        })
        .catch((err: unknown) => {
          metrics.internalErrors.inc({ where: 'upgrade_memberships' });
          logger.error({ err }, 'membership lookup failed during upgrade');
          if (!aborted) refuseUpgrade(res, '503 Service Unavailable', 'unavailable', 'try again shortly');
        });
    },
    open: (ws: Socket) => {
      const state = ws.getUserData();
      // Checked again here: several upgrades of one user may have passed the check together.
      if (sockets.socketsOfUser(state.userId) >= config.GATEWAY_MAX_SOCKETS_PER_USER) {
        ws.end(CLOSE_CODES.tooManyConnections, 'too many open sockets for this user');
        return;
      }
      if (!accepting) {
        ws.end(CLOSE_CODES.goingAway, 'server restarting, reconnect shortly');
        return;
      }
      state.admitted = true;
      sockets.add(ws);
      // Topics are joined only when `ready` goes out (below): `ready` is the first frame, always.
      for (const chatId of state.chats.keys()) {
        feed.acquire(chatId);
        sockets.follow(ws, chatId);
      }
      presenceIndex.follow(
        state.userId,
        Array.from(state.chats, ([chatId, view]) => [chatId, view.type]),
      );
      metrics.chatSubscriptions.set(feed.size);
      expiry.track(ws, state.tokenExp);
      metrics.connections.inc();
      metrics.connectionsOpened.inc();
      presence.connected(state.connectionId, state.userId);
      // `ready` promises every event of these chats from now on: only once NATS confirmed the subscriptions.
      flushWithin(feed, READY_FLUSH_TIMEOUT_MS)
        .catch((err: unknown) => {
          // NATS is away: the socket is still served; resume covers what it may miss meanwhile.
          metrics.internalErrors.inc({ where: 'ready_flush' });
          logger.warn({ err }, 'nats flush before ready failed');
        })
        .finally(() => {
          if (state.closed) return;
          outbound.frame(ws, {
            type: 'ready',
            user_id: state.userId,
            connection_id: state.connectionId,
            chat_ids: [...state.chats.keys()],
          });
          if (state.closed) return;
          // In the same turn as `ready`: no NATS event can be fanned out in between, so none is missed.
          state.ready = true;
          ws.subscribe(userTopic(state.userId));
          for (const chatId of state.chats.keys()) {
            ws.subscribe(chatTopic(chatId));
            state.liveSince.set(chatId, feed.liveMark(chatId));
          }
          router.releaseEarly(ws);
          if (state.closed || state.openChatId === undefined) return;
          const frame = { type: 'open', chat_id: state.openChatId };
          if (clientFrameValidators.open.check(frame)) router.run(ws, 'open', frame);
          else outbound.error(ws, 'validation_failed', 'chat_id: must be a uuid');
        });
    },
    message: (ws: Socket, message, isBinary) => router.handle(ws, message, isBinary),
    drain: (ws: Socket) => outbound.drained(ws),
    close: (ws: Socket, code) => {
      const state = ws.getUserData();
      state.closed = true;
      metrics.closes.inc({ reason: closeReason(code) });
      if (!state.admitted) return;
      sockets.remove(ws);
      expiry.forget(ws);
      // uWS closes abruptly (1006) a socket whose message it had to skip: still a slow consumer, counted.
      if (code === 1006 && (publishing || state.nearLimit)) metrics.slowConsumerCloses.inc({ reason: 'uws_limit' });
      // uWS drops a closed socket's topic subscriptions itself; only our own bookkeeping remains.
      catchUp.abandon(ws);
      for (const chatId of state.typingIn) typing.stop(state.connectionId, chatId);
      for (const chatId of state.chats.keys()) {
        feed.release(chatId);
        presenceIndex.unfollow(state.userId, chatId);
      }
      outbound.releaseWaiters(ws);
      metrics.chatSubscriptions.set(feed.size);
      metrics.connections.dec();
      presence.disconnected(state.connectionId, state.userId);
    },
  });

  const isReady = () => accepting && !nc.isClosed() && !nc.isDraining() && listenSocket !== false;
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

  return {
    id: gatewayId,
    registry,
    nats: nc,
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
      if (!accepting) return;
      accepting = false;
      if (listenSocket) uws.us_listen_socket_close(listenSocket);
      listenSocket = false;
      // Closing runs each socket's close handler at once: typing stops and disconnects go out before the drain.
      for (const ws of [...sockets.all()]) {
        if (!ws.getUserData().closed) ws.end(CLOSE_CODES.goingAway, 'server restarting, reconnect shortly');
      }
      expiry.close();
      typing.close();
      outbound.stop();
      presence.stop();
      await nc.drain().catch(async (err: unknown) => {
        // NATS is away: close for good, or its reconnect timers keep the process alive.
        logger.error({ err }, 'nats drain failed');
        await nc.close();
      });
      await pool.end();
    },
  };
}

const decoder = new TextDecoder();

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
}

async function flushWithin(feed: LiveFeed, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      feed.flush(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from NATS within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
