import type { NatsConnection, QueuedIterator } from '@nats-io/nats-core';
import { Kvm, type KV, type KvWatchEntry } from '@nats-io/kv';
import { jetstreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { REVOCATION_BUCKET, RevokedSession, RevokedUser, revokedSessionKey, revokedUserKey } from '../contracts/account-events.js';
import { canonicalId } from '../contracts/canonical.js';
import { compileValidator } from '../contracts/validation.js';
import type { AccessClaims } from './access-token.js';

/** Why a token is refused although its signature and expiry are fine. */
export type Revocation = 'session_ended' | 'user_deleted';

/** Something ended: the gateways close the sockets it covers. */
export type RevocationListener = (event: { readonly userId: string; readonly sessionId?: string; readonly user?: RevokedUser }) => void;

export interface RevocationListOptions {
  /** How long an entry is kept (the bucket's max age): at least the access tokens' lifetime. */
  readonly ttlSeconds: number;
  readonly replicas: number;
  /** How long `start` waits to load the current list before it fails. */
  readonly loadTimeoutMs?: number;
  readonly onError?: (err: unknown) => void;
}

const sessionValidator = compileValidator(RevokedSession);
const userValidator = compileValidator(RevokedUser);
/** Entries are kept a little past the token lifetime: clocks of the services differ by seconds. */
const CLOCK_SKEW_S = 60;
const DEFAULT_LOAD_TIMEOUT_MS = 15_000;

/**
 * The revocation list shared by the api and every gateway: a JetStream key/value bucket
 * (nats-server 2.9 has them), so it survives the restart of any service, and a service that
 * starts reads the whole list before it serves (`start`). Lookups are synchronous, from
 * memory, so the gateway's upgrade stays synchronous (see ConnectionLifecycle.upgrade).
 * Memory is bounded by what was revoked within one token lifetime.
 */
export class RevocationList {
  private readonly sessions = new Map<string, number>();
  private readonly users = new Map<string, { entry: RevokedUser; at: number }>();
  private readonly listeners: RevocationListener[] = [];
  private watcher: QueuedIterator<KvWatchEntry> | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly kv: KV,
    private readonly ttlSeconds: number,
    private readonly options: RevocationListOptions,
  ) {}

  /** Opens (making it if needed) the bucket; call `start` before the first lookup. */
  static async open(nc: NatsConnection, options: RevocationListOptions): Promise<RevocationList> {
    const kvm = new Kvm(nc);
    const ttl = Math.max(options.ttlSeconds + CLOCK_SKEW_S, 120);
    const kv = await kvm.create(REVOCATION_BUCKET, { history: 1, ttl: ttl * 1000, replicas: options.replicas });
    const status = await kv.status();
    const bucketTtlS = status.ttl > 0 ? Math.ceil(status.ttl / 1000) : ttl;
    if (bucketTtlS < ttl) {
      // Made when tokens lived shorter: entries must now outlive the longer tokens. Never shortened
      // here (another service may still issue the longer ones).
      const jsm = await jetstreamManager(nc);
      const name = status.streamInfo.config.name;
      await jsm.streams.update(name, { max_age: nanos(ttl * 1000) });
    }
    return new RevocationList(kv, Math.max(bucketTtlS, ttl), options);
  }

  onRevoked(listener: RevocationListener): void {
    this.listeners.push(listener);
  }

  /** Loads every current entry, then follows new ones; resolves once the list is current. */
  async start(): Promise<void> {
    const status = await this.kv.status();
    const info = status.streamInfo;
    const lastSeq = info.state.messages > 0 ? info.state.last_seq : 0;
    const watcher = await this.kv.watch();
    this.watcher = watcher;
    const loaded = new Promise<void>((resolve, reject) => {
      if (lastSeq === 0) resolve();
      const timer = setTimeout(
        () => reject(new Error('revocation list not loaded in time')),
        this.options.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS,
      );
      timer.unref();
      void (async () => {
        try {
          for await (const entry of watcher) {
            this.apply(entry);
            if (entry.revision >= lastSeq) {
              clearTimeout(timer);
              resolve();
            }
          }
        } catch (err) {
          clearTimeout(timer);
          reject(err as Error);
          this.options.onError?.(err);
        }
      })();
    });
    await loaded;
    this.pruneTimer = setInterval(() => this.prune(), 60_000);
    this.pruneTimer.unref();
  }

  /** Why these claims are refused, or undefined when they are not. */
  revoked(claims: Pick<AccessClaims, 'user_id' | 'iat' | 'sid'>): Revocation | undefined {
    const user = this.users.get(claims.user_id);
    if (user?.entry.deleted) return 'user_deleted';
    if (claims.sid !== undefined && this.sessions.has(claims.sid)) return 'session_ended';
    // Tokens without a session (tools, older releases) are ended by the user's cut-off.
    if (claims.sid === undefined && user && claims.iat <= user.entry.before) return 'session_ended';
    return undefined;
  }

  /** Ends sessions everywhere (written first, so a lookup right after the answer sees it). */
  async revokeSessions(userId: string, sessionIds: readonly string[]): Promise<void> {
    const at = nowSeconds();
    for (const sid of sessionIds) {
      const entry: RevokedSession = { user_id: userId, at };
      await this.kv.put(revokedSessionKey(sid), JSON.stringify(entry));
      this.sessions.set(sid, at);
    }
  }

  /** Refuses the user's session-less tokens issued until now; `deleted` refuses all of them. */
  async revokeUser(userId: string, deleted: boolean): Promise<void> {
    const entry: RevokedUser = { before: nowSeconds(), deleted };
    await this.kv.put(revokedUserKey(userId), JSON.stringify(entry));
    this.users.set(userId, { entry, at: entry.before });
  }

  get size(): number {
    return this.sessions.size + this.users.size;
  }

  stop(): void {
    this.watcher?.stop();
    this.watcher = undefined;
    clearInterval(this.pruneTimer);
  }

  private apply(entry: KvWatchEntry): void {
    if (entry.operation !== 'PUT') return;
    const [kind, rawId] = entry.key.split('.', 2);
    const id = canonicalId(rawId);
    if (id === undefined) return;
    let value: unknown;
    try {
      value = entry.json();
    } catch (err) {
      this.options.onError?.(err);
      return;
    }
    if (kind === 's' && sessionValidator.check(value)) {
      this.sessions.set(id, value.at);
      this.emit({ userId: value.user_id.toLowerCase(), sessionId: id });
    } else if (kind === 'u' && userValidator.check(value)) {
      this.users.set(id, { entry: value, at: value.before });
      this.emit({ userId: id, user: value });
    }
  }

  private emit(event: Parameters<RevocationListener>[0]): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.options.onError?.(err);
      }
    }
  }

  /** Forgets what is past the bucket's age: every token it could refuse has expired. */
  private prune(now = nowSeconds()): void {
    const oldest = now - this.ttlSeconds;
    for (const [sid, at] of this.sessions) if (at < oldest) this.sessions.delete(sid);
    for (const [id, u] of this.users) if (u.at < oldest) this.users.delete(id);
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
