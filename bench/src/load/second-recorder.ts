import { LatencyHistogram } from './latency-histogram.js';
import type { WorkerTick } from './worker-protocol.js';

/**
 * What one worker saw during the current wall-clock second since the run's epoch; `roll`
 * hands back the finished second as a tick and starts the next one.
 */
export class SecondRecorder {
  sent = 0;
  acked = 0;
  delivered = 0;
  skipped = 0;
  errors: Record<string, number> = {};
  readonly ack = new LatencyHistogram();
  readonly delivery = new LatencyHistogram();
  private tracked: Map<string, [number, number]> | undefined;
  /** The entry of the last key recorded: a fan-out delivers one message to many members in a row. */
  private lastKey: string | undefined;
  private lastSeen: [number, number] | undefined;
  private second: number;

  constructor(
    private readonly worker: number,
    private readonly epochMs: number,
    nowMs: number,
  ) {
    this.second = this.secondAt(nowMs);
  }

  /** Per-message delivery counts and largest latency (fan-out), when on. */
  get perMessage(): Map<string, [number, number]> | undefined {
    return this.tracked;
  }

  set perMessage(map: Map<string, [number, number]> | undefined) {
    this.tracked = map;
    this.lastKey = this.lastSeen = undefined;
  }

  secondAt(nowMs: number): number {
    return Math.floor((nowMs - this.epochMs) / 1000);
  }

  error(code: string): void {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }

  recordDelivery(key: string, latencyMs: number): void {
    this.delivered += 1;
    this.delivery.recordMs(latencyMs);
    if (this.tracked) {
      const seen = key === this.lastKey ? this.lastSeen : this.tracked.get(key);
      if (seen) {
        seen[0] += 1;
        if (latencyMs > seen[1]) seen[1] = latencyMs;
        this.lastSeen = seen;
      } else this.tracked.set(key, (this.lastSeen = [1, latencyMs]));
      this.lastKey = key;
    }
  }

  /** The finished second, if `nowMs` is past it; undefined while it is still running. */
  roll(nowMs: number, held: () => number, force = false): WorkerTick | undefined {
    const now = this.secondAt(nowMs);
    if (now === this.second && !force) return undefined;
    const tick: WorkerTick = {
      type: 'tick',
      worker: this.worker,
      second: this.second,
      sent: this.sent,
      acked: this.acked,
      delivered: this.delivered,
      skipped: this.skipped,
      errors: this.errors,
      ack: this.ack.snapshot(),
      delivery: this.delivery.snapshot(),
      held: held(),
      ...(this.perMessage ? { perMessage: Object.fromEntries(this.perMessage) } : {}),
    };
    this.second = now;
    this.sent = this.acked = this.delivered = this.skipped = 0;
    this.errors = {};
    this.ack.reset();
    this.delivery.reset();
    if (this.perMessage) this.perMessage = new Map();
    return tick;
  }
}
