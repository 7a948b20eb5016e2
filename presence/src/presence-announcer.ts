import { type PresenceChangedEvent, SUBJECTS } from '@neonchat/common/contracts';
import type { Logger } from '@neonchat/common/runtime';
import type { PresenceMetrics } from './presence-metrics.js';
import type { PresenceTransition } from './presence-store.js';

export interface PresenceAnnouncerDeps {
  /** Publishes on core NATS (`nc.publish`); may throw when the connection is closed. */
  readonly publish: (subject: string, data: string) => void;
  /** Records when users went offline (`LastSeenStore.recordOffline`). */
  readonly recordOffline: (entries: ReadonlyArray<{ user_id: string; last_seen: number }>) => Promise<void>;
  readonly metrics: Pick<PresenceMetrics, 'transitions' | 'failures'>;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * Tells everyone of the transitions the store decided: one `presence.changed.{user}` event
 * each, and the offline ones' last_seen written to PostgreSQL in one statement (not awaited
 * by the caller; `settled()` waits for those writes).
 */
export class PresenceAnnouncer {
  private readonly pendingWrites = new Set<Promise<void>>();
  private readonly now: () => number;

  constructor(private readonly deps: PresenceAnnouncerDeps) {
    this.now = deps.now ?? Date.now;
  }

  announce(transitions: readonly PresenceTransition[]): void {
    if (transitions.length === 0) return;
    const { metrics, logger } = this.deps;
    const at = this.now();
    for (const t of transitions) {
      const event: PresenceChangedEvent = {
        type: 'presence.changed',
        user_id: t.user_id,
        status: t.status,
        event: t.event,
        last_seen: t.last_seen,
        at,
      };
      metrics.transitions.inc({ event: t.event });
      try {
        this.deps.publish(SUBJECTS.presenceChanged(t.user_id), JSON.stringify(event));
      } catch (err) {
        metrics.failures.inc({ stage: 'announce' });
        logger.error({ err, user_id: t.user_id, event: t.event }, 'presence transition not announced');
      }
    }
    const offline = transitions.filter((t) => t.event === 'user_offline');
    if (offline.length === 0) return;
    const write: Promise<void> = this.deps
      .recordOffline(offline)
      .catch((err: unknown) => {
        metrics.failures.inc({ stage: 'last_seen' });
        logger.error({ err, users: offline.length }, 'last_seen not written');
      })
      .finally(() => this.pendingWrites.delete(write));
    this.pendingWrites.add(write);
  }

  /** Resolves once every last_seen write started so far has finished (or failed and been logged). */
  async settled(): Promise<void> {
    await Promise.all(this.pendingWrites);
  }
}
