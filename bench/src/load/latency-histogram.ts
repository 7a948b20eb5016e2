/**
 * A log-bucketed latency histogram in the spirit of HdrHistogram: values are recorded in
 * microseconds; below 128 µs every microsecond has its own bucket, above it every power of two
 * is split into 128 linear sub-buckets, so any percentile is within 1/128 (< 0.8 %) of the
 * true value and the max is kept exact. Written here rather than taken from hdr-histogram-js
 * because the bench must merge histograms recorded in several worker processes: a sparse
 * `{bucket: count}` object crosses the IPC channel as plain JSON and merges by addition, with
 * no encoder, no WebAssembly and no fixed value range to choose up front.
 */
const SUB_BUCKET_BITS = 7;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS; // 128

export interface HistogramSnapshot {
  /** bucket index → count, only non-empty buckets. */
  readonly buckets: Record<string, number>;
  readonly count: number;
  readonly maxUs: number;
  readonly sumUs: number;
}

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export function bucketOf(us: number): number {
  const v = Math.max(0, Math.floor(us));
  if (v < SUB_BUCKETS) return v;
  if (v > 0xffffffff) return wideBucketOf(v);
  // Every recorded latency below 71 minutes: shifts, not `2 ** shift` (a call to Math.pow per
  // value, most of a delivery's recording cost); the same bucket as wideBucketOf.
  const shift = 31 - Math.clz32(v) - SUB_BUCKET_BITS; // floor(log2 v) - 7, ≥ 0 here
  return SUB_BUCKETS + shift * SUB_BUCKETS + ((v >>> shift) - SUB_BUCKETS);
}

/** bucketOf of an integer past 2^32 µs, as it has always been computed. */
function wideBucketOf(v: number): number {
  const exponent = 31 - Math.clz32(v);
  const shift = exponent - SUB_BUCKET_BITS;
  const sub = Math.floor(v / 2 ** shift) - SUB_BUCKETS;
  return SUB_BUCKETS + shift * SUB_BUCKETS + sub;
}

/** The smallest and the largest value a bucket holds, in microseconds. */
export function bucketRange(bucket: number): { low: number; high: number } {
  if (bucket < SUB_BUCKETS) return { low: bucket, high: bucket };
  const shift = Math.floor((bucket - SUB_BUCKETS) / SUB_BUCKETS);
  const sub = (bucket - SUB_BUCKETS) % SUB_BUCKETS;
  const low = (SUB_BUCKETS + sub) * 2 ** shift;
  return { low, high: low + 2 ** shift - 1 };
}

export class LatencyHistogram {
  private readonly counts = new Map<number, number>();
  private total = 0;
  private maxUs = 0;
  private sumUs = 0;

  get count(): number {
    return this.total;
  }

  /** Records one latency given in milliseconds (fractions kept down to the microsecond). */
  recordMs(ms: number): void {
    this.recordUs(ms * 1000);
  }

  recordUs(us: number): void {
    if (!Number.isFinite(us)) return;
    const v = Math.max(0, us);
    const bucket = bucketOf(v);
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1);
    this.total += 1;
    this.sumUs += v;
    if (v > this.maxUs) this.maxUs = v;
  }

  /** The value at percentile `p` (0–100) in milliseconds; 0 when empty. */
  percentileMs(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.total));
    let seen = 0;
    for (const bucket of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(bucket) ?? 0;
      if (seen >= rank) {
        const { low, high } = bucketRange(bucket);
        // The middle of the bucket, but never above the largest value actually seen.
        return Math.min((low + high) / 2, this.maxUs) / 1000;
      }
    }
    return this.maxUs / 1000;
  }

  get maxMs(): number {
    return this.maxUs / 1000;
  }

  get meanMs(): number {
    return this.total === 0 ? 0 : this.sumUs / this.total / 1000;
  }

  summary(): LatencySummary {
    return {
      count: this.total,
      p50: this.percentileMs(50),
      p95: this.percentileMs(95),
      p99: this.percentileMs(99),
      max: this.maxMs,
      mean: this.meanMs,
    };
  }

  add(other: LatencyHistogram | HistogramSnapshot): void {
    const snap = other instanceof LatencyHistogram ? other.snapshot() : other;
    for (const [bucket, n] of Object.entries(snap.buckets)) {
      const b = Number(bucket);
      this.counts.set(b, (this.counts.get(b) ?? 0) + n);
    }
    this.total += snap.count;
    this.sumUs += snap.sumUs;
    if (snap.maxUs > this.maxUs) this.maxUs = snap.maxUs;
  }

  snapshot(): HistogramSnapshot {
    return { buckets: Object.fromEntries(this.counts), count: this.total, maxUs: this.maxUs, sumUs: this.sumUs };
  }

  reset(): void {
    this.counts.clear();
    this.total = 0;
    this.maxUs = 0;
    this.sumUs = 0;
  }

  static from(snapshot: HistogramSnapshot): LatencyHistogram {
    const h = new LatencyHistogram();
    h.add(snapshot);
    return h;
  }
}
