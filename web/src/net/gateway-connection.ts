import type { ClientFrame, ReadyFrame, ServerFrame } from '@neonchat/common/contracts';

export type ConnectionState = 'connecting' | 'online' | 'reconnecting' | 'offline';

export interface ConnectionEvents {
  /** `ready` arrived: the socket follows `chat_ids`; resume and resend from here. */
  ready(frame: ReadyFrame): void;
  frame(frame: Exclude<ServerFrame, ReadyFrame>): void;
  state(state: ConnectionState, detail: string): void;
  /** The token names no user any more (`code` 4003), or its session ended (4004). */
  unauthorized(code: number): void;
  /** The token expired on an open socket (4001): a fresh one to reconnect with, or null. */
  tokenExpired(): Promise<string | null>;
  /** The socket closed before it opened: the upgrade was refused (a bad token, a full gateway) or nothing listens. */
  refused(): void;
}

const BACKOFF_FIRST_MS = 300;
const BACKOFF_MAX_MS = 10_000;

/**
 * One WebSocket to the gateway, reopened with exponential backoff and jitter whenever it drops
 * (gateway restart 1001, slow consumer 4008, network). The token travels in
 * `Sec-WebSocket-Protocol` as `bearer.<token>` next to a plain protocol the gateway echoes, so
 * it is neither in the URL (logs) nor echoed back.
 */
export class GatewayConnection {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private isReady = false;

  constructor(
    private readonly url: string,
    /** The current access token (it changes as the session is refreshed). */
    private readonly token: () => string,
    private readonly events: ConnectionEvents,
  ) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close(1000, 'logout');
    this.ws = null;
  }

  get ready(): boolean {
    return this.isReady;
  }

  /** Sends when the socket is ready; false otherwise (the caller keeps the frame for later). */
  send(frame: ClientFrame): boolean {
    if (!this.ws || !this.isReady || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  private open(): void {
    this.events.state(this.attempt === 0 ? 'connecting' : 'reconnecting', '');
    const token = this.token();
    const ws = new WebSocket(this.url, ['neonchat', `bearer.${token}`]);
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
    };
    ws.onmessage = (event) => {
      if (typeof event.data !== 'string') return;
      let frame: ServerFrame;
      try {
        frame = JSON.parse(event.data) as ServerFrame;
      } catch {
        return;
      }
      if (frame.type === 'ready') {
        this.isReady = true;
        this.attempt = 0;
        this.events.state('online', '');
        this.events.ready(frame);
      } else {
        this.events.frame(frame);
      }
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.isReady = false;
      if (this.stopped) return;
      // CLOSE_CODES.tokenExpired: reconnect at once with a fresh token (refreshed already, or now).
      if (event.code === 4001) return void this.reopenWithFreshToken(token);
      // 4004: the session was ended (logout elsewhere, password change, account deleted).
      if (event.code === 4003 || event.code === 4004) return this.events.unauthorized(event.code);
      if (!opened) this.events.refused();
      this.scheduleReconnect(event.code);
    };
  }

  private async reopenWithFreshToken(expired: string): Promise<void> {
    this.events.state('reconnecting', '');
    const fresh = this.token() !== expired ? this.token() : await this.events.tokenExpired();
    if (this.stopped) return;
    // No token now (a network failure; a refused refresh logs out): the backoff tries again.
    if (fresh) this.open();
    else this.scheduleReconnect(4001);
  }

  private scheduleReconnect(code: number): void {
    this.attempt += 1;
    // Full jitter on an exponential ceiling: a restarted gateway is not hit by every client at once.
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (this.attempt - 1) * (code === 4029 ? 4 : 1));
    const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.events.state('reconnecting', `retrying in ${(delay / 1000).toFixed(1)} s`);
    this.timer = setTimeout(() => this.open(), delay);
  }
}
