import type { HeartbeatReport, PresenceStatus } from '@neonchat/common/contracts';

/** The JSON in `online:{user}`. */
export interface OnlineStatus {
  user_id: string;
  status: PresenceStatus;
  last_seen: number;
  device_id?: string;
}

export type PresenceEvent = 'user_online' | 'user_offline' | 'user_away';

/** A real change of a user's presence, decided in Redis; announce it exactly once. */
export interface PresenceTransition {
  user_id: string;
  event: PresenceEvent;
  status: PresenceStatus;
  last_seen: number;
}

/** A gateway's report, in the order it arrived. */
export type PresenceReport =
  | { kind: 'connect'; user_id: string; connection_id: string; device_id?: string; at: number }
  | { kind: 'disconnect'; user_id: string; connection_id: string; at: number }
  | { kind: 'status'; user_id: string; connection_id: string; status: 'online' | 'away'; at: number };

export interface PresenceStoreSettings {
  readonly ttlSeconds: number;
  /** 0 announces offline as soon as the last connection closes. */
  readonly offlineGraceMs: number;
  readonly sweepIntervalMs: number;
  /** Called with the duration of every Redis round trip, for the latency histogram. */
  readonly observe?: (op: string, seconds: number) => void;
}

/**
 * Where presence lives: connections, their deadlines, the grace period and the ledger of who
 * was announced online. Every method decides transitions atomically, so replicas sharing one
 * store announce each exactly once. `RedisPresenceStore` is the one the service runs;
 * `MemoryPresenceStore` is a single-process one for unit tests. One contract suite
 * (test/presence-store-contract.ts) runs against both.
 */
export interface PresenceStore {
  /** Connect, disconnect and status reports, applied in order; returns the transitions. */
  applyReports(reports: readonly PresenceReport[]): Promise<PresenceTransition[]>;
  /** A gateway's live connections: kept alive, unknown ones adopted (unless closed recently). */
  heartbeat(report: HeartbeatReport): Promise<PresenceTransition[]>;
  /** Drops connections past their deadline and ends due grace periods; `more` if limited. */
  sweep(limit: number): Promise<{ transitions: PresenceTransition[]; more: boolean }>;
  /** Statuses of many users; `undefined` where the user is offline. */
  statuses(userIds: readonly string[]): Promise<Array<OnlineStatus | undefined>>;
  status(userId: string): Promise<OnlineStatus | undefined>;
  /** Users announced online and live connections, across every replica. */
  counts(): Promise<{ onlineUsers: number; connections: number }>;
}

/**
 * How long a connection lives without a heartbeat: slightly under the key TTL, so the sweeper
 * drops a dead gateway's connections before their keys lapse on their own.
 */
export function connectionLifeMs(settings: Pick<PresenceStoreSettings, 'ttlSeconds' | 'sweepIntervalMs'>): number {
  const ttlMs = settings.ttlSeconds * 1000;
  return ttlMs - Math.min(2 * settings.sweepIntervalMs, Math.floor(ttlMs / 4));
}
