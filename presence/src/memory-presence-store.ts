import type { HeartbeatReport, PresenceStatus } from '@neonchat/common/contracts';
import {
  connectionLifeMs,
  type OnlineStatus,
  type PresenceEvent,
  type PresenceReport,
  type PresenceStore,
  type PresenceStoreSettings,
  type PresenceTransition,
} from './presence-store.js';

/**
 * Presence in one process's memory, with the Redis store's rules (presence-scripts.ts), for
 * unit tests of what sits on a store and as the reference the contract suite holds both to.
 * Not for production: replicas could not share it.
 */
export class MemoryPresenceStore implements PresenceStore {
  private readonly online = new Map<string, { doc: OnlineStatus; expiresAt: number }>();
  private readonly connections = new Map<string, Set<string>>();
  /** `{user}|{connection}` → deadline (ms). */
  private readonly deadlines = new Map<string, number>();
  private readonly pendingOffline = new Map<string, number>();
  private readonly announced = new Set<string>();
  private readonly closed = new Map<string, number>();
  private readonly lifeMs: number;
  private readonly ttlMs: number;

  constructor(
    private readonly settings: PresenceStoreSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.lifeMs = connectionLifeMs(settings);
    this.ttlMs = settings.ttlSeconds * 1000;
  }

  async applyReports(reports: readonly PresenceReport[]): Promise<PresenceTransition[]> {
    const out: PresenceTransition[] = [];
    for (const r of reports) {
      if (r.kind === 'connect') {
        // A connect that arrives after its own disconnect (another replica was faster) is void.
        if (!this.isClosed(r.connection_id)) this.adopt(out, r.user_id, r.connection_id, r.device_id, r.at, true);
      } else if (r.kind === 'disconnect') {
        this.closed.set(r.connection_id, this.now() + this.ttlMs);
        this.deadlines.delete(`${r.user_id}|${r.connection_id}`);
        const mine = this.connections.get(r.user_id);
        if (mine?.delete(r.connection_id) && mine.size === 0) {
          this.connections.delete(r.user_id);
          if (this.settings.offlineGraceMs > 0) {
            const current = this.current(r.user_id);
            if (current) current.doc = { ...current.doc, last_seen: r.at };
            this.pendingOffline.set(r.user_id, this.now() + this.settings.offlineGraceMs);
          } else this.goOffline(out, r.user_id, r.at);
        }
      } else if (this.connections.get(r.user_id)?.has(r.connection_id)) {
        const doc = this.current(r.user_id)?.doc ?? { user_id: r.user_id, status: 'online' as PresenceStatus, last_seen: r.at };
        if (doc.status !== r.status) {
          this.write(r.user_id, r.status, r.at, doc.device_id);
          this.emit(out, r.user_id, r.status === 'away' ? 'user_away' : 'user_online', r.status, r.at);
        }
      }
    }
    return out;
  }

  async heartbeat(report: HeartbeatReport): Promise<PresenceTransition[]> {
    const out: PresenceTransition[] = [];
    const deadline = this.now() + this.lifeMs;
    const refreshed = new Set<string>();
    for (const { user_id: u, connection_id: c } of report.connections) {
      const member = `${u}|${c}`;
      if (this.deadlines.has(member)) {
        this.deadlines.set(member, deadline);
        if (refreshed.has(u)) continue;
        refreshed.add(u);
        const current = this.current(u);
        if (current) current.expiresAt = this.now() + this.ttlMs;
        else this.write(u, 'online', report.at, undefined);
      } else if (!this.isClosed(c)) {
        this.adopt(out, u, c, undefined, report.at, false);
        refreshed.add(u);
      }
    }
    return out;
  }

  async sweep(limit: number): Promise<{ transitions: PresenceTransition[]; more: boolean }> {
    const out: PresenceTransition[] = [];
    const now = this.now();
    const expired = [...this.deadlines].filter(([, at]) => at <= now).slice(0, limit);
    for (const [member, at] of expired) {
      this.deadlines.delete(member);
      const sep = member.indexOf('|');
      const u = member.slice(0, sep);
      const mine = this.connections.get(u);
      mine?.delete(member.slice(sep + 1));
      if (!mine?.size) {
        this.connections.delete(u);
        // Last heard of at its last heartbeat, not when the sweep noticed.
        this.goOffline(out, u, at - this.lifeMs);
      }
    }
    const due = [...this.pendingOffline].filter(([, at]) => at <= now).slice(0, limit);
    for (const [u] of due) {
      if (!this.connections.get(u)?.size) this.goOffline(out, u, this.current(u)?.doc.last_seen ?? now);
      else this.pendingOffline.delete(u);
    }
    return { transitions: out, more: expired.length >= limit || due.length >= limit };
  }

  async statuses(userIds: readonly string[]): Promise<Array<OnlineStatus | undefined>> {
    return userIds.map((id) => this.current(id)?.doc);
  }

  async status(userId: string): Promise<OnlineStatus | undefined> {
    return this.current(userId)?.doc;
  }

  async counts(): Promise<{ onlineUsers: number; connections: number }> {
    return { onlineUsers: this.announced.size, connections: this.deadlines.size };
  }

  /** `fresh`: a connect report; a client that just opened its socket is active, so it ends an 'away'. */
  private adopt(out: PresenceTransition[], u: string, c: string, device: string | undefined, at: number, fresh: boolean): void {
    let mine = this.connections.get(u);
    if (!mine) this.connections.set(u, (mine = new Set()));
    mine.add(c);
    this.deadlines.set(`${u}|${c}`, this.now() + this.lifeMs);
    // Back within the grace period: the pending offline is dropped and nobody hears of it.
    this.pendingOffline.delete(u);
    if (!this.announced.has(u)) {
      this.announced.add(u);
      this.write(u, 'online', at, device);
      this.emit(out, u, 'user_online', 'online', at);
    } else {
      const current = this.current(u);
      if (!current) this.write(u, 'online', at, device);
      else if (fresh && current.doc.status === 'away') {
        this.write(u, 'online', at, device);
        this.emit(out, u, 'user_online', 'online', at);
      } else current.expiresAt = this.now() + this.ttlMs;
    }
  }

  private goOffline(out: PresenceTransition[], u: string, lastSeen: number): void {
    this.pendingOffline.delete(u);
    if (!this.announced.delete(u)) return;
    this.online.delete(u);
    this.emit(out, u, 'user_offline', 'offline', lastSeen);
  }

  private write(u: string, status: PresenceStatus, lastSeen: number, device: string | undefined): void {
    const doc: OnlineStatus = { user_id: u, status, last_seen: lastSeen };
    if (device) doc.device_id = device;
    this.online.set(u, { doc, expiresAt: this.now() + this.ttlMs });
  }

  /** The user's status document unless its TTL ran out. */
  private current(u: string): { doc: OnlineStatus; expiresAt: number } | undefined {
    const entry = this.online.get(u);
    if (entry && entry.expiresAt <= this.now()) {
      this.online.delete(u);
      return undefined;
    }
    return entry;
  }

  private isClosed(c: string): boolean {
    const until = this.closed.get(c);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.closed.delete(c);
    return false;
  }

  private emit(out: PresenceTransition[], user_id: string, event: PresenceEvent, status: PresenceStatus, last_seen: number): void {
    out.push({ user_id, event, status, last_seen });
  }
}
