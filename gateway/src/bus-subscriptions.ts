import {
  SUBJECTS,
  decodeJson,
  membershipChangedValidator,
  presenceChangedValidator,
  type MembershipChangedEvent,
  type PresenceEventFrame,
} from '@neonchat/common/contracts';
import { type Logger } from '@neonchat/common/runtime';
import type { ChatBus } from './bus/chat-bus.js';
import type { ChatHub } from './chat-hub.js';
import { userTopic } from './chat-topics.js';
import type { MembershipReader } from './membership-reader.js';
import type { GatewayMetrics } from './metrics.js';
import type { Outbound } from './outbound.js';
import type { PresenceIndex } from './presence-index.js';
import type { SocketRegistry } from './socket-registry.js';
import type { TopicFanOut } from './chat-hub.js';

/** Users per query when memberships are re-read after a NATS reconnect. */
const RESYNC_BATCH = 500;

export interface BusDeps {
  readonly bus: Pick<ChatBus, 'subscribe' | 'onReconnect'>;
  readonly hub: ChatHub;
  readonly sockets: SocketRegistry;
  readonly memberships: Pick<MembershipReader, 'activeChatsOfMany'>;
  readonly presenceIndex: PresenceIndex;
  readonly app: TopicFanOut;
  readonly outbound: Outbound;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
}

/**
 * What reaches the gateway on core NATS besides chat traffic: the api's membership
 * announcements (applied to open sockets at once through the hub, and re-read after a
 * reconnect, since core NATS may have lost some) and presence transitions (sent as `presence`
 * frames to the local users who share a chat with the user).
 */
export function subscribeBus(deps: BusDeps): void {
  const { bus, hub, metrics, logger } = deps;

  bus.subscribe(SUBJECTS.membershipAll, (data) => {
    let event: MembershipChangedEvent;
    try {
      // parse lower-cases the ids: an event naming a user or chat in upper case still finds its sockets.
      event = membershipChangedValidator.parse(decodeJson(data));
    } catch {
      metrics.drops.inc({ reason: 'malformed_membership' });
      return logger.warn('dropping malformed membership event');
    }
    const view = event.status === 'active' ? { type: event.chat_type, role: event.role } : undefined;
    hub.membershipChanged(event.chat_id, event.user_id, view);
  });

  bus.onReconnect(() => {
    resyncMemberships(deps).catch((err: unknown) => {
      metrics.internalErrors.inc({ where: 'membership_resync' });
      logger.error({ err }, 'membership resync after reconnect failed');
    });
  });

  bus.subscribe(SUBJECTS.presenceChangedAll, (data) => {
    const event = decodeJson(data);
    if (!presenceChangedValidator.check(event)) {
      metrics.drops.inc({ reason: 'malformed_presence' });
      return;
    }
    const recipients = deps.presenceIndex.recipientsOf(event.user_id);
    if (!recipients.size) return;
    const frame: PresenceEventFrame = {
      type: 'presence',
      event: event.event,
      user_id: event.user_id,
      timestamp: Math.floor(event.at / 1000),
    };
    const frameJson = JSON.stringify(frame);
    metrics.framesOut.inc({ type: 'presence' });
    for (const userId of recipients) deps.app.publish(userTopic(userId), frameJson, false);
    metrics.presenceDeliveries.inc(recipients.size);
    deps.outbound.noteOtherFanOut();
  });
}

/** Membership events are core NATS: after a reconnect, re-read what may have been missed. */
async function resyncMemberships(deps: BusDeps): Promise<void> {
  const users = [...new Set(Array.from(deps.sockets.all(), (ws) => ws.getUserData().userId))];
  for (let i = 0; i < users.length; i += RESYNC_BATCH) {
    const chatsByUser = await deps.memberships.activeChatsOfMany(users.slice(i, i + RESYNC_BATCH));
    for (const [userId, chats] of chatsByUser) deps.hub.resync(userId, chats);
  }
}
