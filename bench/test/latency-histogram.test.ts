import { expect } from 'chai';
import { LatencyHistogram, bucketOf, bucketRange } from '../src/load/latency-histogram.js';

describe('LatencyHistogram', () => {
  it('keeps every bucket within 1/128 of the values it holds', () => {
    for (const us of [0, 1, 127, 128, 129, 255, 256, 1000, 12_345, 999_999, 60_000_000]) {
      const { low, high } = bucketRange(bucketOf(us));
      expect(us).to.be.within(low, high);
      expect(high - low).to.be.at.most(Math.max(0, low / 128));
    }
  });

  it('puts a value in the bucket of the definition (2^shift sub-buckets), below and past 2^32 µs', () => {
    const byDefinition = (us: number) => {
      const v = Math.max(0, Math.floor(us));
      if (v < 128) return v;
      const shift = Math.floor(Math.log2(v)) - 7;
      return 128 + shift * 128 + (Math.floor(v / 2 ** shift) - 128);
    };
    const values = [0, 0.4, 127.99, 128, 255, 256, 257, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 2 ** 32 - 1];
    for (let us = 1; us < 2 ** 32; us = us * 1.37 + 1) values.push(us, Math.floor(us) - 1, Math.floor(us) + 1);
    for (const us of values) expect(bucketOf(us), `${us} µs`).to.equal(byDefinition(us));
    // Past 2^32 µs (71 minutes) the bucket is what it has always been (clz32 reads the low 32 bits).
    const wide = (v: number) => 128 + (31 - Math.clz32(v) - 7) * 128 + (Math.floor(v / 2 ** (31 - Math.clz32(v) - 7)) - 128);
    for (const us of [2 ** 32, 2 ** 32 + 5, 1e12, 2 ** 52]) expect(bucketOf(us)).to.equal(wide(us));
  });

  it('puts consecutive values in non-decreasing buckets', () => {
    let last = -1;
    for (let us = 0; us < 70_000; us += 7) {
      const b = bucketOf(us);
      expect(b).to.be.at.least(last);
      last = b;
    }
  });

  it('reads percentiles of a uniform 1..1000 ms spread within 1 %', () => {
    const h = new LatencyHistogram();
    for (let ms = 1; ms <= 1000; ms++) h.recordMs(ms);
    expect(h.count).to.equal(1000);
    expect(h.percentileMs(50)).to.be.closeTo(500, 5);
    expect(h.percentileMs(95)).to.be.closeTo(950, 9.5);
    expect(h.percentileMs(99)).to.be.closeTo(990, 9.9);
    expect(h.maxMs).to.equal(1000);
    expect(h.meanMs).to.be.closeTo(500.5, 0.01);
  });

  it('never reports a percentile above the largest value seen', () => {
    const h = new LatencyHistogram();
    h.recordMs(3.3333);
    expect(h.percentileMs(100)).to.be.at.most(3.3333);
    expect(h.percentileMs(50)).to.be.closeTo(3.3333, 3.3333 / 128);
  });

  it('is empty-safe and ignores values that are not finite', () => {
    const h = new LatencyHistogram();
    h.recordMs(Number.NaN);
    h.recordMs(Number.POSITIVE_INFINITY);
    expect(h.count).to.equal(0);
    expect(h.summary()).to.deep.equal({ count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 });
  });

  it('merges snapshots from several recorders as if one had seen everything', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    const all = new LatencyHistogram();
    for (let i = 0; i < 5000; i++) {
      const ms = (i * 7919) % 250;
      (i % 2 ? a : b).recordMs(ms);
      all.recordMs(ms);
    }
    // Through JSON, the way worker ticks travel.
    const merged = LatencyHistogram.from(JSON.parse(JSON.stringify(a.snapshot())));
    merged.add(JSON.parse(JSON.stringify(b.snapshot())));
    expect(merged.summary()).to.deep.equal(all.summary());
  });
});
