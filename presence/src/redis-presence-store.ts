import type { Redis } from 'ioredis';
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
import { presenceKeys } from './presence-keys.js';
import { SCRIPT_KEYS, defineScripts } from './presence-scripts.js';

const KIND_CODES = { connect: 'c', disconnect: 'd', status: 's' } as const;

/**
 * Keeps a Redis script call's argument list, and the time the script blocks Redis, bounded:
 * a 10,000-connection heartbeat becomes a few scripts sent in one pipeline (one round trip).
 */
const HEARTBEAT_CHUNK = 1000;

/**
 * Presence state in Redis. Every change goes through a Lua script (presence-scripts.ts) that
 * also decides whether it is a transition, so replicas sharing the Redis agree on each one.
 */
export class RedisPresenceStore implements PresenceStore {
  /** How long a connection lives without a heartbeat. Slightly under the key TTL so the
   * sweeper drops a dead gateway's connections before their keys lapse on their own. */
  private readonly connectionLifeMs: number;

  constructor(
    readonly redis: Redis,
    private readonly settings: PresenceStoreSettings,
  ) {
    defineScripts(redis);
    this.connectionLifeMs = connectionLifeMs(settings);
  }

  async applyReports(reports: readonly PresenceReport[]): Promise<PresenceTransition[]> {
    if (reports.length === 0) return [];
    const argv: Array<string | number> = [this.settings.ttlSeconds, this.settings.offlineGraceMs, this.connectionLifeMs];
    for (const r of reports) {
      const extra = r.kind === 'connect' ? (r.device_id ?? '') : r.kind === 'status' ? r.status : '';
      argv.push(KIND_CODES[r.kind], r.user_id, r.connection_id, extra, r.at);
    }
    const flat = await this.timed('reports', () => this.redis.presenceApplyReports(...SCRIPT_KEYS, ...argv));
    return parseTransitions(flat, 0);
  }

  /** Refreshes the listed connections in one round trip, however many there are. */
  async heartbeat(report: HeartbeatReport): Promise<PresenceTransition[]> {
    if (report.connections.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (let start = 0; start < report.connections.length; start += HEARTBEAT_CHUNK) {
      const argv: Array<string | number> = [this.settings.ttlSeconds, this.connectionLifeMs, report.at];
      for (const c of report.connections.slice(start, start + HEARTBEAT_CHUNK)) argv.push(c.user_id, c.connection_id);
      pipeline.presenceHeartbeat(...SCRIPT_KEYS, ...argv);
    }
    const results = await this.timed('heartbeat', () => pipeline.exec());
    const transitions: PresenceTransition[] = [];
    for (const [err, flat] of results ?? []) {
      if (err) throw err;
      transitions.push(...parseTransitions(flat as Array<string | number>, 0));
    }
    return transitions;
  }

  /** Drops connections past their deadline and ends due grace periods; `more` if limited. */
  async sweep(limit: number): Promise<{ transitions: PresenceTransition[]; more: boolean }> {
    const flat = await this.timed('sweep', () => this.redis.presenceSweep(...SCRIPT_KEYS, limit, this.connectionLifeMs));
    return { transitions: parseTransitions(flat, 1), more: Number(flat[0]) === 1 };
  }

  /** Statuses of many users in one MGET; `undefined` where the user is offline. */
  async statuses(userIds: readonly string[]): Promise<Array<OnlineStatus | undefined>> {
    if (userIds.length === 0) return [];
    const raws = await this.timed('query', () => this.redis.mget(userIds.map((id) => presenceKeys.online(id))));
    return raws.map((raw) => (raw ? parseStatus(raw) : undefined));
  }

  async status(userId: string): Promise<OnlineStatus | undefined> {
    const [status] = await this.statuses([userId]);
    return status;
  }

  /** Users announced online and live connections, across every replica. */
  async counts(): Promise<{ onlineUsers: number; connections: number }> {
    const results = await this.timed('counts', () =>
      this.redis.pipeline().scard(presenceKeys.announcedOnline).zcard(presenceKeys.connectionDeadlines).exec(),
    );
    return { onlineUsers: Number(results?.[0]?.[1] ?? 0), connections: Number(results?.[1]?.[1] ?? 0) };
  }

  private async timed<T>(op: string, run: () => Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    try {
      return await run();
    } finally {
      this.settings.observe?.(op, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }
}

function parseTransitions(flat: Array<string | number>, offset: number): PresenceTransition[] {
  const transitions: PresenceTransition[] = [];
  for (let i = offset; i + 3 < flat.length; i += 4) {
    transitions.push({
      user_id: String(flat[i]),
      event: String(flat[i + 1]) as PresenceEvent,
      status: String(flat[i + 2]) as PresenceStatus,
      last_seen: Number(flat[i + 3]),
    });
  }
  return transitions;
}

function parseStatus(raw: string): OnlineStatus | undefined {
  try {
    return JSON.parse(raw) as OnlineStatus;
  } catch {
    // Only presence writes these keys; a foreign value reads as "offline" rather than failing the whole query.
    return undefined;
  }
}
