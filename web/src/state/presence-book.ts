import type { PresenceStatus } from '@neonchat/common/contracts';

/** `unknown`: our own socket is down, so nothing we knew about anyone can be trusted. */
export type ShownPresence = PresenceStatus | 'unknown';

/**
 * Who is online, as far as this client knows. Presence arrives as frames on our socket: while
 * it is down we miss them, so everything known is dropped then and read again (REST's chat list,
 * then frames) once the socket is back. The header never says "online" about someone on the
 * strength of a socket that is not there.
 */
export class PresenceBook {
  private readonly statuses = new Map<string, PresenceStatus>();
  private connected = false;

  /** Our socket came up (`ready`) or went down. */
  setConnected(connected: boolean): void {
    this.connected = connected;
    if (!connected) this.statuses.clear();
  }

  /** A `presence` frame: newer than anything REST said. */
  set(userId: string, status: PresenceStatus): void {
    this.statuses.set(userId, status);
  }

  /** What REST said when asked: kept only where no frame has told us since. */
  setIfUnknown(userId: string, online: boolean): void {
    if (this.connected && !this.statuses.has(userId)) this.statuses.set(userId, online ? 'online' : 'offline');
  }

  of(userId: string): ShownPresence {
    if (!this.connected) return 'unknown';
    return this.statuses.get(userId) ?? 'offline';
  }
}
