import { randomUUID } from 'node:crypto';
import type { Static } from 'typebox';
import pg from 'pg';
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket, WebSocket } from 'uWebSockets.js';
import { headers as natsHeaders, type Msg, type NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import {
  CLOSE_CODES,
  type GatewayEnv,
  NeonError,
  ORIGIN_CONNECTION_HEADER,
  STREAMS,
  SUBJECTS,
  bearerToken,
  chatEventValidator,
  clientFrameValidators,
  connectNats,
  createLogger,
  createMetricsRegistry,
  decide,
  denialCode,
  ensureStreams,
  injectTraceContext,
  isClientFrameType,
  isNeonError,
  membershipChangedValidator,
  sendDedupId,
  uuidv7,
  verifyAccessToken,
  type AccessClaims,
  type ClientFrameOf,
  type ErrorCode,
  type Logger,
  type MessageCreatedEvent,
  type ServerFrame,
} from '@neonchat/common';
import type { Registry } from 'prom-client';
import { loadNativeUws } from './native-uws.js';
import { MembershipReader } from './membership-reader.js';
import { LiveSubscriptions } from './live-subscriptions.js';
import { chatTopic } from './chat-topics.js';
import { frameForEvent } from './event-frames.js';
import { createGatewayMetrics } from './metrics.js';
import type { SocketState } from './socket-state.js';
import { PresenceReporter } from './presence-reporter.js';

export type GatewayConfig = Static<typeof GatewayEnv>;
type Socket = WebSocket<SocketState>;

export interface Gateway {
  readonly id: string;
  readonly port: number;
  readonly registry: Registry;
  readonly nats: NatsConnection;
  /** Open sockets right now. */
  readonly connectionCount: number;
  listen(): Promise<void>;
  close(): Promise<void>;
}

const textDecoder = new TextDecoder();

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
  const memberships = new MembershipReader(pool);
  const nc = await connectNats({ url: config.NATS_URL, name: `neonchat-gateway-${gatewayId}`, logger });
  await ensureStreams(nc, {
    replicas: config.NATS_STREAM_REPLICAS,
    maxAgeSeconds: config.NATS_STREAM_MAX_AGE_S,
    maxBytes: config.NATS_STREAM_MAX_BYTES,
    duplicateWindowSeconds: config.NATS_DUPLICATE_WINDOW_S,
  });
  const js: JetStreamClient = jetstream(nc);
  const jsm: JetStreamManager = await jetstreamManager(nc);
  const presence = new PresenceReporter(nc, gatewayId, logger);

  const app: TemplatedApp = uws.App();
  const socketsByConnection = new Map<string, Socket>();
  const socketsByUser = new Map<string, Set<Socket>>();
  let listenSocket: us_listen_socket | false = false;
  let port = 0;
  let accepting = true;

  // ── fan-out ──────────────────────────────────────────────────────────────────────────────
  const live = new LiveSubscriptions(nc, (chatId, msg) => fanOut(chatId, msg), logger);

  function fanOut(chatId: string, msg: Msg): void {
    const kind = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
    let frame: ServerFrame;
    if (kind === 'events') {
      const seq = Number(msg.headers?.get('Nats-Sequence'));
      const event = safeJson(msg.data);
      if (!chatEventValidator.check(event) || !Number.isFinite(seq)) {
        logger.warn({ chat_id: chatId, subject: msg.subject }, 'dropping malformed live event');
        return;
      }
      frame = frameForEvent(event, seq);
    } else {
      return; // typing and other live kinds come with the gateway issue
    }
    const data = JSON.stringify(frame);
    metrics.framesOut.inc({ type: frame.type });
    // The sender's own socket already has `message_sent`: publish from it to leave it out.
    const origin = msg.headers?.get(ORIGIN_CONNECTION_HEADER);
    const originSocket = origin ? socketsByConnection.get(origin) : undefined;
    if (originSocket && !originSocket.getUserData().closed) originSocket.publish(chatTopic(chatId), data, false);
    else app.publish(chatTopic(chatId), data, false);
  }

  function follow(ws: Socket, chatId: string): void {
    ws.subscribe(chatTopic(chatId));
    live.acquire(chatId);
    metrics.chatSubscriptions.set(live.size);
  }

  function unfollow(ws: Socket, chatId: string): void {
    ws.unsubscribe(chatTopic(chatId));
    live.release(chatId);
    metrics.chatSubscriptions.set(live.size);
  }

  // ── membership events: open sockets follow their users' chats at once ─────────────────
  nc.subscribe(SUBJECTS.membershipAll, {
    callback: (err, msg) => {
      if (err) return logger.error({ err }, 'membership subscription failed');
      const event = safeJson(msg.data);
      if (!membershipChangedValidator.check(event)) return logger.warn({ subject: msg.subject }, 'dropping malformed membership event');
      for (const ws of socketsByUser.get(event.user_id) ?? []) {
        const state = ws.getUserData();
        if (state.closed) continue;
        const had = state.chats.has(event.chat_id);
        if (event.status === 'active') {
          state.chats.set(event.chat_id, { type: event.chat_type, role: event.role });
          if (!had) follow(ws, event.chat_id);
        } else if (had) {
          state.chats.delete(event.chat_id);
          unfollow(ws, event.chat_id);
        }
      }
    },
  });

  // ── sending ──────────────────────────────────────────────────────────────────────────────
  function send(ws: Socket, frame: ServerFrame): void {
    if (ws.getUserData().closed) return;
    ws.send(JSON.stringify(frame), false);
  }

  function sendError(ws: Socket, code: ErrorCode, message: string, requestId?: string): void {
    metrics.errors.inc({ code });
    send(ws, { type: 'error', code, message, ...(requestId ? { request_id: requestId } : {}) });
  }

  async function handleSendMessage(ws: Socket, frame: ClientFrameOf<'message'>): Promise<void> {
    const state = ws.getUserData();
    let membership = state.chats.get(frame.chat_id);
    if (!membership) {
      // A chat created after this socket connected whose announcement has not arrived yet.
      membership = await memberships.membership(frame.chat_id, state.userId);
      if (membership && !state.closed && !state.chats.has(frame.chat_id)) {
        state.chats.set(frame.chat_id, membership);
        follow(ws, frame.chat_id);
      }
    }
    const decision = decide('post', membership?.type ?? 'direct', membership ? { role: membership.role, status: 'active' } : null);
    if (!decision.allowed) {
      const code = denialCode(decision.reason);
      throw new NeonError(code, code === 'not_found' ? 'chat not found' : `not allowed: ${decision.reason}`);
    }
    const event: MessageCreatedEvent = {
      type: 'message.created',
      id: uuidv7(),
      chat_id: frame.chat_id,
      sender_id: state.userId,
      text: frame.text.trim(),
      created_at: new Date().toISOString(),
    };
    const headers = natsHeaders();
    headers.set(ORIGIN_CONNECTION_HEADER, state.connectionId);
    injectTraceContext(headers);
    const started = process.hrtime.bigint();
    let ack;
    try {
      ack = await js.publish(SUBJECTS.chatEvents(frame.chat_id), JSON.stringify(event), {
        msgID: sendDedupId(state.userId, frame.request_id),
        headers,
        timeout: 5000,
      });
    } catch (err) {
      throw new NeonError('unavailable', 'message not stored, retry with the same request_id', { cause: err });
    }
    metrics.publishAck.observe(Number(process.hrtime.bigint() - started) / 1e9);
    let stored = event;
    if (ack.duplicate) {
      // A resend of a request already stored: answer with the message stored the first time.
      const original = await jsm.streams.getMessage(STREAMS.chatEvents, { seq: ack.seq });
      const parsed = original ? safeJson(original.data) : undefined;
      if (chatEventValidator.check(parsed) && parsed.type === 'message.created') stored = parsed;
    }
    send(ws, {
      type: 'message_sent',
      request_id: frame.request_id,
      status: 'delivered',
      message: {
        id: stored.id,
        chat_id: stored.chat_id,
        sender_id: stored.sender_id,
        text: stored.text,
        seq: ack.seq,
        created_at: stored.created_at,
        updated_at: null,
      },
    });
  }

  async function handleFrame(ws: Socket, raw: ArrayBuffer): Promise<void> {
    if (raw.byteLength > config.GATEWAY_MAX_FRAME_BYTES) {
      return sendError(ws, 'payload_too_large', `frame larger than ${config.GATEWAY_MAX_FRAME_BYTES} bytes`);
    }
    const parsed = safeJson(raw);
    if (parsed === undefined || typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return sendError(ws, 'validation_failed', 'frame is not a JSON object');
    }
    const type = (parsed as { type?: unknown }).type;
    const requestId =
      typeof (parsed as { request_id?: unknown }).request_id === 'string' ? (parsed as { request_id: string }).request_id : undefined;
    if (!isClientFrameType(type)) return sendError(ws, 'unknown_type', `unknown frame type ${JSON.stringify(type)}`, requestId);
    metrics.framesIn.inc({ type });
    try {
      switch (type) {
        case 'message':
          return await handleSendMessage(ws, clientFrameValidators.message.parse(parsed));
        case 'ping':
          return send(ws, { type: 'pong', ...(requestId ? { request_id: requestId } : {}) });
        default:
          return sendError(ws, 'unknown_type', `frame type ${type} is not supported yet`, requestId);
      }
    } catch (err) {
      if (isNeonError(err)) return sendError(ws, err.code, err.message, requestId);
      logger.error({ err, type }, 'frame handling failed');
      return sendError(ws, 'internal', 'internal error', requestId);
    }
  }

  // ── upgrade: authenticate before the socket exists ──────────────────────────────────────
  function refuseUpgrade(res: HttpResponse, status: string, code: ErrorCode, message: string): void {
    res.cork(() => {
      res
        .writeStatus(status)
        .writeHeader('content-type', 'application/json')
        .end(JSON.stringify({ error: { code, message } }));
    });
  }

  app.ws<SocketState>('/ws', {
    maxPayloadLength: config.GATEWAY_MAX_FRAME_BYTES * 4,
    maxBackpressure: config.GATEWAY_MAX_BACKPRESSURE_BYTES,
    idleTimeout: config.GATEWAY_IDLE_TIMEOUT_S,
    sendPingsAutomatically: true,
    upgrade: (res: HttpResponse, req: HttpRequest, context) => {
      const secKey = req.getHeader('sec-websocket-key');
      const secProtocol = req.getHeader('sec-websocket-protocol');
      const secExtensions = req.getHeader('sec-websocket-extensions');
      const query = new URLSearchParams(req.getQuery() ?? '');
      const token = query.get('token') ?? bearerToken(req.getHeader('authorization')) ?? undefined;
      const openChatId = query.get('chat_id') ?? undefined;
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      if (!accepting) return refuseUpgrade(res, '503 Service Unavailable', 'unavailable', 'gateway is shutting down');
      let claims: AccessClaims;
      try {
        if (!token) throw new NeonError('unauthorized', 'missing token');
        claims = verifyAccessToken(token, config.JWT_SECRET);
      } catch (err) {
        const code = isNeonError(err) ? err.code : 'unauthorized';
        return refuseUpgrade(res, '401 Unauthorized', code, isNeonError(err) ? err.message : 'invalid token');
      }
      memberships
        .activeChatsOf(claims.user_id)
        .then((chats) => {
          if (aborted) return;
          const state: SocketState = {
            userId: claims.user_id,
            username: claims.username,
            connectionId: `${gatewayId}:${randomUUID()}`,
            tokenExp: claims.exp,
            chats,
            openChatId,
            closed: false,
          };
          res.cork(() => res.upgrade(state, secKey, secProtocol, secExtensions, context));
        })
        .catch((err: unknown) => {
          logger.error({ err }, 'membership lookup failed during upgrade');
          if (!aborted) refuseUpgrade(res, '503 Service Unavailable', 'unavailable', 'try again shortly');
        });
    },
    open: (ws) => {
      const state = ws.getUserData();
      socketsByConnection.set(state.connectionId, ws);
      let mine = socketsByUser.get(state.userId);
      if (!mine) socketsByUser.set(state.userId, (mine = new Set()));
      mine.add(ws);
      for (const chatId of state.chats.keys()) follow(ws, chatId);
      metrics.connections.inc();
      presence.connected(state.connectionId, state.userId);
      send(ws, { type: 'ready', user_id: state.userId, connection_id: state.connectionId, chat_ids: [...state.chats.keys()] });
    },
    message: (ws, message) => {
      // The buffer is only valid during this call: handleFrame parses it synchronously first.
      void handleFrame(ws, message);
    },
    close: (ws) => {
      const state = ws.getUserData();
      state.closed = true;
      socketsByConnection.delete(state.connectionId);
      const mine = socketsByUser.get(state.userId);
      mine?.delete(ws);
      if (mine?.size === 0) socketsByUser.delete(state.userId);
      // uWS drops a closed socket's topic subscriptions itself; only our NATS refcounts remain.
      for (const chatId of state.chats.keys()) live.release(chatId);
      metrics.chatSubscriptions.set(live.size);
      metrics.connections.dec();
      presence.disconnected(state.connectionId, state.userId);
    },
  });

  const isReady = () => accepting && !nc.isClosed() && listenSocket !== false;
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
      return socketsByConnection.size;
    },
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
      accepting = false;
      if (listenSocket) uws.us_listen_socket_close(listenSocket);
      listenSocket = false;
      for (const ws of [...socketsByConnection.values()]) {
        if (!ws.getUserData().closed) ws.end(CLOSE_CODES.goingAway, 'server restarting, reconnect shortly');
      }
      await nc.drain().catch((err: unknown) => logger.error({ err }, 'nats drain failed'));
      await pool.end();
    },
  };
}

function safeJson(data: ArrayBuffer | Uint8Array): unknown {
  try {
    return JSON.parse(textDecoder.decode(data));
  } catch {
    return undefined;
  }
}
