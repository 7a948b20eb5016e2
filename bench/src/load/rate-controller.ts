/**
 * Open-loop pacing: how many sends are due at a given time for a target rate, counted from
 * when the rate was set, so a slow tick is caught up on the next one instead of silently
 * lowering the rate (closed-loop senders hide latency: coordinated omission). The catch-up is
 * capped at `maxBurst` per call so a stalled process does not fire a flood all at once; what
 * the cap drops is counted in `skipped` and reported, never hidden.
 */
export class RateController {
  private anchorMs: number;
  private issuedSinceAnchor = 0;
  private skippedTotal = 0;

  constructor(
    private ratePerSecond: number,
    startMs: number,
    /** Half a second's worth by default: a stall up to that long is caught up in full. */
    private readonly maxBurst = Math.max(10, Math.ceil(ratePerSecond / 2)),
  ) {
    if (!(ratePerSecond >= 0)) throw new RangeError(`rate must be ≥ 0, got ${ratePerSecond}`);
    this.anchorMs = startMs;
  }

  get rate(): number {
    return this.ratePerSecond;
  }

  /** Sends the cap dropped because the caller fell too far behind. */
  get skipped(): number {
    return this.skippedTotal;
  }

  /** Changes the rate from `nowMs` on; what was due before stays counted as issued. */
  setRate(ratePerSecond: number, nowMs: number): void {
    if (!(ratePerSecond >= 0)) throw new RangeError(`rate must be ≥ 0, got ${ratePerSecond}`);
    this.ratePerSecond = ratePerSecond;
    this.anchorMs = nowMs;
    this.issuedSinceAnchor = 0;
  }

  /** The number of sends to issue now; the caller must issue exactly that many. */
  due(nowMs: number): number {
    const elapsed = Math.max(0, nowMs - this.anchorMs);
    const owed = Math.floor((this.ratePerSecond * elapsed) / 1000) - this.issuedSinceAnchor;
    if (owed <= 0) return 0;
    const n = Math.min(owed, this.maxBurst);
    this.issuedSinceAnchor += owed; // what the cap drops is skipped, not owed forever
    this.skippedTotal += owed - n;
    return n;
  }
}
