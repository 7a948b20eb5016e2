import type { RestClient, Session } from '../net/rest-client.js';

/** Refresh when this share of the access token's lifetime has passed. */
const REFRESH_AT = 0.8;
/** After a refresh that failed on the network (not a 401), try again this soon. */
const RETRY_MS = 5_000;

/**
 * Keeps this tab's access token fresh: shortly before it expires, when the gateway says it has
 * (4001), and when a REST call answers 401. Every caller shares one refresh request at a time,
 * because the server rotates the refresh token and ends the whole session when one is reused.
 * A refresh the server refuses (401) ends the session here too (`onEnded`).
 */
export class TokenRefresher {
  private inFlight: Promise<string | null> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    private readonly rest: RestClient,
    private session: Session,
    private readonly onSession: (session: Session) => void,
    private readonly onEnded: () => void,
  ) {}

  get token(): string {
    return this.session.token;
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** A fresh access token, or null when there is none (session over, or the network failed). */
  refresh(): Promise<string | null> {
    this.inFlight ??= this.rotate().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async rotate(): Promise<string | null> {
    const refreshToken = this.session.refresh_token;
    if (!refreshToken || this.stopped) {
      if (!refreshToken && !this.stopped) this.onEnded();
      return null;
    }
    try {
      const next = await this.rest.refresh(refreshToken);
      if (this.stopped) return null;
      this.session = { ...next, expires_at: Date.now() + next.expires_in * 1000 };
      this.rest.setToken(this.session.token);
      this.onSession(this.session);
      this.schedule();
      return this.session.token;
    } catch (err) {
      if (this.stopped) return null;
      if ((err as { status?: number }).status === 401) {
        this.onEnded();
        return null;
      }
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.refresh(), RETRY_MS);
      return null;
    }
  }

  private schedule(): void {
    clearTimeout(this.timer);
    const { expires_at: expiresAt, expires_in: expiresIn } = this.session;
    if (!this.session.refresh_token || !expiresAt || !expiresIn) return;
    const delay = Math.max(0, expiresAt - expiresIn * 1000 * (1 - REFRESH_AT) - Date.now());
    this.timer = setTimeout(() => void this.refresh(), delay);
  }
}
