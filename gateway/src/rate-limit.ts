/**
 * A token bucket per socket: `ratePerSecond` frames on average, bursts up to `burst`. Refills
 * lazily from the clock on each take, so an idle socket costs nothing.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;
  /** Refusals in the current window; persistent abuse closes the socket. */
  private refusals = 0;
  private windowStart = 0;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    now: number = performance.now(),
  ) {
    this.tokens = burst;
    this.refilledAt = now;
  }

  /** Takes one token; false when the socket is over its rate. */
  take(now: number = performance.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.ratePerSecond);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /**
   * Records a refusal; true when the socket has been refused more than `burst` times within
   * `windowMs`: a client that keeps sending after being told is misbehaving, not bursty.
   */
  refusedTooOften(now: number = performance.now(), windowMs = 10_000): boolean {
    if (now - this.windowStart > windowMs) {
      this.windowStart = now;
      this.refusals = 0;
    }
    this.refusals += 1;
    return this.refusals > this.burst;
  }
}
