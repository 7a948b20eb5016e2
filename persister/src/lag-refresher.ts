import type { Logger } from '@neonchat/common/runtime';
import type { DatabaseHealth } from './database-health.js';
import type { PersisterMetrics } from './persister-metrics.js';

export interface LagRefresherDeps {
  /** The shared consumer's counts (`consumer.info(false)`). */
  readonly consumerInfo: () => Promise<{ readonly num_pending: number; readonly num_ack_pending: number }>;
  /** Batches being written by this replica right now. */
  readonly writing: () => number;
  /** Asks PostgreSQL whether it answers (`select 1`); rejects while it is down. */
  readonly probe: () => Promise<unknown>;
  readonly health: DatabaseHealth;
  readonly metrics: Pick<PersisterMetrics, 'lag' | 'ackPending'>;
  readonly logger: Logger;
}

/**
 * Every tick: the consumer's lag and ack-pending gauges from the server, and, while PostgreSQL
 * is marked down and no batch is being written to prove otherwise, a probe so `/readyz`
 * recovers on its own.
 */
export class LagRefresher {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: LagRefresherDeps) {}

  async refresh(): Promise<void> {
    const { deps } = this;
    try {
      const info = await deps.consumerInfo();
      deps.metrics.lag.set(info.num_pending + info.num_ack_pending);
      deps.metrics.ackPending.set(info.num_ack_pending);
    } catch (err) {
      deps.logger.debug({ err }, 'consumer info unavailable');
    }
    if (!deps.health.healthy && deps.writing() === 0) {
      try {
        await deps.probe();
        deps.health.available();
      } catch {
        // still down; the next tick asks again
      }
    }
  }

  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => void this.refresh(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
