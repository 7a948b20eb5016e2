import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponse, us_socket_context_t, WebSocketBehavior } from 'uWebSockets.js';
import { CLOSE_CODES, NeonError, clientFrameValidators, isNeonError, type ErrorCode } from '@neonchat/common/contracts';
import { verifyAccessToken, type AccessClaims, type Logger, type RevocationList, type SigningKeys } from '@neonchat/common/runtime';
import type { ChatHub } from './chat-hub.js';
import { userTopic } from './chat-topics.js';
import { closeReason } from './close-reasons.js';
import type { FrameRouter } from './frame-router.js';
import type { KnownUsers } from './known-users.js';
import type { MembershipReader } from './membership-reader.js';
import type { GatewayMetrics } from './metrics.js';
import type { Outbound } from './outbound.js';
import type { PresenceReporter } from './presence-reporter.js';
import { newSocketState, type SocketState } from './socket-state.js';
import type { Socket, SocketRegistry } from './socket-registry.js';
import { TokenExpiry } from './token-expiry.js';
import { upgradeCredentials } from './upgrade-auth.js';

export interface ConnectionSettings {
  readonly gatewayId: string;
  /** The keys tokens may be signed with (current and previous). */
  readonly keys: SigningKeys;
  readonly maxSocketsPerUser: number;
  readonly ratePerSecond: number;
  readonly rateBurst: number;
  /** `ready` waits for NATS to confirm the socket's subscriptions, but not longer than this. */
  readonly readyFlushTimeoutMs: number;
}

export interface ConnectionDeps {
  readonly settings: ConnectionSettings;
  /** Ended sessions and deleted users: refused at the upgrade, checked again at admission. */
  readonly revocations: Pick<RevocationList, 'revoked'>;
  readonly hub: ChatHub;
  readonly sockets: SocketRegistry;
  readonly memberships: Pick<MembershipReader, 'activeChatsOf'>;
  /** Users seen to exist lately: upgraded at once; anyone else's chats are read before the upgrade. */
  readonly knownUsers: Pick<KnownUsers, 'has' | 'remember' | 'forget'>;
  readonly presence: Pick<PresenceReporter, 'connected' | 'disconnected'>;
  readonly router: Pick<FrameRouter, 'handle' | 'run' | 'releaseEarly'>;
  readonly outbound: Outbound;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
}

/** The uWS callbacks the lifecycle fills in; the app's limits (payload, backpressure, idle) are the factory's. */
export type ConnectionCallbacks = Required<Pick<WebSocketBehavior<SocketState>, 'upgrade' | 'open' | 'message' | 'drain' | 'close'>>;

/**
 * One connection's life: upgrade (token, per-user cap, the user's chats read) → open (admitted,
 * registered, following its chats through the hub) → `ready`, always the socket's first frame,
 * once NATS has its subscriptions → frames (to the router) → close (everything let go, presence
 * told). Also the gateway's door: `stopAccepting` refuses new sockets, `closeAll` ends the open
 * ones with a reconnect hint.
 */
export class ConnectionLifecycle implements ConnectionCallbacks {
  private acceptingSockets = true;
  private readonly expiry = new TokenExpiry<Socket>((ws) => {
    if (!ws.getUserData().closed) ws.end(CLOSE_CODES.tokenExpired, 'token expired: log in again');
  });

  constructor(private readonly deps: ConnectionDeps) {}

  get accepting(): boolean {
    return this.acceptingSockets;
  }

  stopAccepting(): void {
    this.acceptingSockets = false;
  }

  /** Closing runs each socket's close handler at once: typing stops and disconnects go out before NATS drains. */
  closeAll(): void {
    for (const ws of [...this.deps.sockets.all()]) {
      if (!ws.getUserData().closed) ws.end(CLOSE_CODES.goingAway, 'server restarting, reconnect shortly');
    }
    this.expiry.close();
  }

  /**
   * Authenticates before the socket exists; refusals are plain HTTP answers with a code. A user
   * this gateway knows (`KnownUsers`) is upgraded within this call, synchronously, and `open`
   * reads the chats as before. Any other user's chats are read first (`upgradeAfterRead`), so a
   * token naming nobody is refused with 401 before any socket exists; the chats read are handed
   * to `open`, which does not read them again: one read per connect either way.
   */
  readonly upgrade = (res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void => {
    const { settings, metrics } = this.deps;
    const query = new URLSearchParams(req.getQuery() ?? '');
    const credentials = upgradeCredentials(query, req.getHeader('authorization'), req.getHeader('sec-websocket-protocol'));
    if (!this.acceptingSockets)
      return this.refuse(res, '503 Service Unavailable', 'unavailable', 'gateway is shutting down, reconnect shortly');
    let claims: AccessClaims;
    try {
      if (!credentials.token) throw new NeonError('unauthorized', 'missing token');
      claims = verifyAccessToken(credentials.token, settings.keys);
      if (this.deps.revocations.revoked(claims) !== undefined) throw new NeonError('unauthorized', 'session ended: log in again');
    } catch (err) {
      // The token itself is never logged, only that it was refused.
      const code = isNeonError(err) ? err.code : 'unauthorized';
      return this.refuse(res, '401 Unauthorized', code, isNeonError(err) ? err.message : 'invalid token');
    }
    if (!isUpgradeConnection(req.getHeader('connection'))) {
      // RFC 6455 §4.1 requires it. And uWS 20.30 marks a request with `Connection: close` "close
      // after the answer": upgraded late and uncorked (upgradeAfterRead), it is closed right after
      // its 101 and then handed to `open` anyway, which crashed the process (SIGSEGV) when tried.
      return this.refuse(res, '400 Bad Request', 'validation_failed', 'connection: must include "upgrade"');
    }
    if (this.deps.sockets.socketsOfUser(claims.user_id) >= settings.maxSocketsPerUser) {
      return this.refuse(res, '429 Too Many Requests', 'rate_limited', 'too many open sockets for this user');
    }
    const state = newSocketState({
      userId: claims.user_id,
      username: claims.username,
      connectionId: `${settings.gatewayId}:${randomUUID()}`,
      tokenExp: claims.exp,
      tokenIat: claims.iat,
      sessionId: claims.sid,
      chats: new Map(),
      openChatId: query.get('chat_id') || undefined,
      ratePerSecond: settings.ratePerSecond,
      rateBurst: settings.rateBurst,
    });
    const handshake: Handshake = {
      key: req.getHeader('sec-websocket-key'),
      protocol: credentials.protocol,
      extensions: req.getHeader('sec-websocket-extensions'),
    };
    if (this.deps.knownUsers.has(claims.user_id)) {
      metrics.upgradeUserChecks.inc({ outcome: 'known' });
      res.upgrade(state, handshake.key, handshake.protocol, handshake.extensions, context);
      return;
    }
    this.upgradeAfterRead(res, state, handshake, context);
  };

  /**
   * The upgrade of a user this gateway does not know yet: their chats are read, then the
   * request is answered: 401 when no such user exists (never existed, or the row is gone), else
   * the upgrade with the chats in the socket's state. A read that fails upgrades anyway and
   * `open` closes with 1013, as for a known user. The late upgrade is deliberately not inside
   * `res.cork`: uWS 20.30 may read the new WebSocket's memory as the HTTP response's state after
   * a corked upgrade and cut the socket right after its 101 (uWebSockets PR #1929, not in an npm
   * build for Node 20; docs/BENCHMARKS.md). Uncorked, uWS writes the 101 straight to the socket.
   */
  private upgradeAfterRead(res: HttpResponse, state: SocketState, handshake: Handshake, context: us_socket_context_t): void {
    const { metrics, logger } = this.deps;
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    metrics.connectChatReads.inc({ at: 'upgrade' });
    this.deps.memberships
      .activeChatsOf(state.userId)
      .then(
        (chats) => {
          if (aborted) return void metrics.upgradeUserChecks.inc({ outcome: 'aborted' });
          if (!chats) {
            metrics.upgradeUserChecks.inc({ outcome: 'unknown' });
            return this.refuse(res, '401 Unauthorized', 'unauthorized', 'unknown user: log in again');
          }
          metrics.upgradeUserChecks.inc({ outcome: 'read' });
          this.deps.knownUsers.remember(state.userId);
          for (const [chatId, view] of chats) state.chats.set(chatId, view);
          state.chatsAtUpgrade = 'read';
          this.lateUpgrade(res, state, handshake, context);
        },
        (err: unknown) => {
          if (aborted) return void metrics.upgradeUserChecks.inc({ outcome: 'aborted' });
          metrics.upgradeUserChecks.inc({ outcome: 'unavailable' });
          metrics.internalErrors.inc({ where: 'upgrade_memberships' });
          logger.error({ err }, 'membership lookup failed for an upgrade');
          state.chatsAtUpgrade = 'unavailable';
          this.lateUpgrade(res, state, handshake, context);
        },
      )
      .catch((err: unknown) => {
        metrics.internalErrors.inc({ where: 'late_upgrade' });
        logger.error({ err }, 'late upgrade failed');
      });
  }

  private lateUpgrade(res: HttpResponse, state: SocketState, handshake: Handshake, context: us_socket_context_t): void {
    if (!this.acceptingSockets)
      return this.refuse(res, '503 Service Unavailable', 'unavailable', 'gateway is shutting down, reconnect shortly');
    res.upgrade(state, handshake.key, handshake.protocol, handshake.extensions, context);
  }

  /**
   * The socket exists; its user's chats are read (unless the upgrade did), then it is admitted.
   * Until then it is on no topic and its frames wait (`ready` is still its first frame). A user
   * that no longer exists is closed with 4003, a database outage with 1013 (try again later).
   */
  readonly open = (ws: Socket): void => {
    const { metrics, logger } = this.deps;
    const state = ws.getUserData();
    if (!this.acceptingSockets) {
      ws.end(CLOSE_CODES.goingAway, 'server restarting, reconnect shortly');
      return;
    }
    if (state.chatsAtUpgrade === 'read') return this.admit(ws);
    if (state.chatsAtUpgrade === 'unavailable') {
      metrics.errors.inc({ code: 'unavailable' });
      ws.end(CLOSE_CODES.tryAgainLater, 'unavailable: try again shortly');
      return;
    }
    metrics.connectChatReads.inc({ at: 'open' });
    this.deps.memberships
      .activeChatsOf(state.userId)
      .then((chats) => {
        if (!chats) this.deps.knownUsers.forget(state.userId);
        if (state.closed) return;
        if (!chats) {
          metrics.errors.inc({ code: 'unauthorized' });
          ws.end(CLOSE_CODES.unknownUser, 'unknown user: log in again');
          return;
        }
        this.deps.knownUsers.remember(state.userId);
        for (const [chatId, view] of chats) state.chats.set(chatId, view);
        this.admit(ws);
      })
      .catch((err: unknown) => {
        metrics.internalErrors.inc({ where: 'open_memberships' });
        logger.error({ err }, 'membership lookup failed for a new socket');
        if (!state.closed) {
          metrics.errors.inc({ code: 'unavailable' });
          ws.end(CLOSE_CODES.tryAgainLater, 'unavailable: try again shortly');
        }
      });
  };

  private admit(ws: Socket): void {
    const { hub, sockets, metrics, logger, outbound, settings } = this.deps;
    const state = ws.getUserData();
    // Checked again here: several upgrades of one user may have passed the check together.
    if (sockets.socketsOfUser(state.userId) >= settings.maxSocketsPerUser) {
      ws.end(CLOSE_CODES.tooManyConnections, 'too many open sockets for this user');
      return;
    }
    if (!this.acceptingSockets) {
      ws.end(CLOSE_CODES.goingAway, 'server restarting, reconnect shortly');
      return;
    }
    // The session may have ended while the chats were read: its close went to registered sockets only.
    if (this.deps.revocations.revoked({ user_id: state.userId, iat: state.tokenIat, sid: state.sessionId }) !== undefined) {
      ws.end(CLOSE_CODES.sessionEnded, 'session ended: log in again');
      return;
    }
    state.admitted = true;
    sockets.add(ws);
    // Topics are joined only when `ready` goes out (below): `ready` is the first frame, always.
    hub.admit(ws);
    this.expiry.track(ws, state.tokenExp);
    metrics.connections.inc();
    metrics.connectionsOpened.inc();
    this.deps.presence.connected(state.connectionId, state.userId);
    // `ready` promises every event of these chats from now on: only once NATS confirmed the subscriptions.
    flushWithin(() => hub.feed.flush(), settings.readyFlushTimeoutMs)
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
        ws.subscribe(userTopic(state.userId));
        hub.markReady(ws);
        this.deps.router.releaseEarly(ws);
        if (state.closed || state.openChatId === undefined) return;
        const frame = { type: 'open', chat_id: state.openChatId };
        if (clientFrameValidators.open.check(frame)) this.deps.router.run(ws, 'open', frame);
        else outbound.error(ws, 'validation_failed', 'chat_id: must be a uuid');
      });
  }

  readonly message = (ws: Socket, message: ArrayBuffer, isBinary: boolean): void => {
    this.deps.router.handle(ws, message, isBinary);
  };

  readonly drain = (ws: Socket): void => {
    this.deps.outbound.drained(ws);
  };

  readonly close = (ws: Socket, code: number): void => {
    const { hub, sockets, metrics } = this.deps;
    const state = ws.getUserData();
    state.closed = true;
    metrics.closes.inc({ reason: closeReason(code) });
    if (!state.admitted) return;
    sockets.remove(ws);
    this.expiry.forget(ws);
    // uWS closes abruptly (1006) a socket whose message it had to skip: still a slow consumer, counted.
    if (code === 1006 && (hub.publishing || state.nearLimit)) metrics.slowConsumerCloses.inc({ reason: 'uws_limit' });
    hub.release(ws);
    this.deps.outbound.releaseWaiters(ws);
    metrics.connections.dec();
    this.deps.presence.disconnected(state.connectionId, state.userId);
  };

  private refuse(res: HttpResponse, status: string, code: ErrorCode, message: string): void {
    this.deps.metrics.errors.inc({ code });
    res.cork(() => {
      res
        .writeStatus(status)
        .writeHeader('content-type', 'application/json')
        .end(JSON.stringify({ error: { code, message } }));
    });
  }
}

/** What `res.upgrade` needs of the request, copied: uWS's request object is gone once the handler returns. */
interface Handshake {
  readonly key: string;
  readonly protocol: string;
  readonly extensions: string;
}

/** Whether a `Connection` header lists the `upgrade` token (RFC 6455 §4.1; tokens are case-insensitive). */
export function isUpgradeConnection(header: string): boolean {
  return header.split(',').some((token) => token.trim().toLowerCase() === 'upgrade');
}

async function flushWithin(flush: () => Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      flush(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from NATS within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
