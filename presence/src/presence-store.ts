import type { Redis } from 'ioredis';
import type { PresenceStatus } from '@neonchat/common';
import { presenceKeys } from './presence-keys.js';

export interface OnlineStatus {
  user_id: string;
  status: PresenceStatus;
  last_seen: number;
  device_id?: string;
}

/** What a report did to the user's presence. */
export type Transition = 'came_online' | 'went_offline' | 'none';

/**
 * Presence state in Redis: `online:{user}` (JSON status, TTL) and `user:{user}:ws_connections`
 * (the user's live connection ids). Each change is one MULTI, so concurrent reports from
 * several gateways can't both see themselves as the first or the last connection.
 */
export class PresenceStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {}

  async connectionOpened(userId: string, connectionId: string, now: number, deviceId?: string): Promise<Transition> {
    const status: OnlineStatus = { user_id: userId, status: 'online', last_seen: now, ...(deviceId ? { device_id: deviceId } : {}) };
    const result = await this.redis
      .multi()
      .sadd(presenceKeys.connections(userId), connectionId)
      .scard(presenceKeys.connections(userId))
      .expire(presenceKeys.connections(userId), this.ttlSeconds)
      .set(presenceKeys.online(userId), JSON.stringify(status), 'EX', this.ttlSeconds)
      .exec();
    const added = Number(result?.[0]?.[1] ?? 0);
    const count = Number(result?.[1]?.[1] ?? 0);
    return added === 1 && count === 1 ? 'came_online' : 'none';
  }

  async connectionClosed(userId: string, connectionId: string): Promise<Transition> {
    const result = await this.redis
      .multi()
      .srem(presenceKeys.connections(userId), connectionId)
      .scard(presenceKeys.connections(userId))
      .exec();
    const removed = Number(result?.[0]?.[1] ?? 0);
    const count = Number(result?.[1]?.[1] ?? 0);
    if (removed === 1 && count === 0) {
      await this.redis.del(presenceKeys.online(userId));
      return 'went_offline';
    }
    return 'none';
  }

  async status(userId: string): Promise<OnlineStatus | undefined> {
    const raw = await this.redis.get(presenceKeys.online(userId));
    return raw ? (JSON.parse(raw) as OnlineStatus) : undefined;
  }
}
