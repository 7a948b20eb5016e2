import type { Logger } from '@neonchat/common/runtime';
import type { PresenceAnnouncer } from './presence-announcer.js';
import type { PresenceMetrics } from './presence-metrics.js';
import type { PresenceStore } from './presence-store.js';

/** Most expired connections or due offline announcements one sweep script call handles. */
export const SWEEP_LIMIT = 2000;
/** Sweep calls per tick at most, so a flood of expiries can't starve the reports. */
export const SWEEP_CALLS_PER_TICK = 25;

export interface PresenceSweeperDeps {
  readonly store: Pick<PresenceStore, 'sweep'>;
  readonly announcer: Pick<PresenceAnnouncer, 'announce'>;
  readonly intervalMs: number;
  readonly metrics: Pick<PresenceMetrics, 'failures'>;
  readonly logger: Logger;
}

/**
 * Every `intervalMs` (after the previous sweep finished): drops connections whose gateway
 * stopped heartbeating and announces the offline users whose grace ran out. Every replica
 * sweeps; the store's script hands each expiry to exactly one of them.
 */
export class PresenceSweeper {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> = Promise.resolve();
  private stopped = true;

  constructor(private readonly deps: PresenceSweeperDeps) {}

  /** One tick: up to SWEEP_CALLS_PER_TICK calls of SWEEP_LIMIT each, fewer once nothing more is due. */
  async sweep(): Promise<void> {
    for (let call = 0; call < SWEEP_CALLS_PER_TICK; call++) {
      const { transitions, more } = await this.deps.store.sweep(SWEEP_LIMIT);
      this.deps.announcer.announce(transitions);
      if (!more) break;
    }
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  /** No new tick; resolves once the sweep under way (if any) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.sweeping;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.sweeping = this.sweep()
        .catch((err: unknown) => {
          this.deps.metrics.failures.inc({ stage: 'sweep' });
          this.deps.logger.error({ err }, 'presence sweep failed');
        })
        .finally(() => this.schedule());
    }, this.deps.intervalMs);
  }
}
