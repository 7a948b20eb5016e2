import type { NatsConnection } from '@nats-io/nats-core';
import { SUBJECTS, type MembershipChangedEvent } from '@neonchat/common/contracts';
import { type Logger } from '@neonchat/common/runtime';

/**
 * Tells gateways about committed membership changes (core NATS), so open sockets subscribe or
 * unsubscribe at once. Best effort by design: a gateway that missed one re-reads memberships
 * when it reconnects to NATS, and access checks read the database on a cache miss.
 */
export class MembershipAnnouncer {
  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
  ) {}

  announce(events: readonly MembershipChangedEvent[]): void {
    for (const event of events) {
      try {
        this.nc.publish(SUBJECTS.membership(event.chat_id), JSON.stringify(event));
      } catch (err) {
        this.logger.error({ err, chat_id: event.chat_id, user_id: event.user_id }, 'membership announcement failed');
      }
    }
  }
}
