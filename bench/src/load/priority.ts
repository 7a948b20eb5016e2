import { getPriority, setPriority } from 'node:os';

/**
 * Scheduling priority of the bench's background processes (`--set background_nice=N`): the
 * persister and PostgreSQL, which are off the message path (a client's `message_sent` waits for
 * JetStream, never for PostgreSQL). On one shared 2-core box their batch bursts otherwise queue
 * the gateways behind them for milliseconds; in a deployment they run on other machines or at a
 * lower priority. Off (0) by default: the report says which it was.
 */
export class BackgroundPriority {
  private readonly previous = new Map<number, number>();

  constructor(readonly nice: number) {}

  /** Lowers the priority of these processes (children forked later, e.g. PostgreSQL backends, inherit it). */
  apply(pids: readonly number[]): void {
    if (!this.nice) return;
    for (const pid of pids) {
      try {
        if (!this.previous.has(pid)) this.previous.set(pid, getPriority(pid));
        setPriority(pid, this.nice);
      } catch {
        // Gone already (a backend that ended): nothing to lower.
      }
    }
  }

  /** Puts back what `apply` changed (the bench's PostgreSQL outlives the run). */
  restore(): void {
    for (const [pid, priority] of this.previous) {
      try {
        setPriority(pid, priority);
      } catch {
        // Gone: nothing to restore.
      }
    }
    this.previous.clear();
  }

  note(): string {
    return this.nice
      ? `Scheduling: persister and PostgreSQL at nice ${this.nice}, below the message path (--set background_nice); every other process at nice 0.`
      : 'Scheduling: every process at the same priority (--set background_nice=N lowers the persister and PostgreSQL).';
  }
}
