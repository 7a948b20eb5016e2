import { LatencyHistogram, type LatencySummary } from './latency-histogram.js';
import type { WorkerTick } from './worker-protocol.js';

interface Second {
  sent: number;
  acked: number;
  delivered: number;
  skipped: number;
  errors: Record<string, number>;
  readonly ack: LatencyHistogram;
  readonly delivery: LatencyHistogram;
  /** Sockets held, by worker (the latest tick of each). */
  readonly held: Map<number, number>;
  /** Other per-second series: CPU %, RSS, persisted messages… */
  readonly extra: Record<string, number>;
}

export interface WindowTotals {
  readonly seconds: number;
  readonly sent: number;
  readonly acked: number;
  readonly delivered: number;
  readonly skipped: number;
  readonly errors: Record<string, number>;
  readonly ack: LatencySummary;
  readonly delivery: LatencySummary;
}

/**
 * The run second by second, merged from every worker's ticks plus the coordinator's own
 * samples (process CPU/RSS, persisted rows). Feeds the report's figures and its plot.
 */
export class Timeline {
  private readonly seconds = new Map<number, Second>();
  /** message key → [deliveries, latency to the last receiver ms], for fan-out runs. */
  readonly perMessage = new Map<string, [number, number]>();

  constructor(readonly epochMs: number) {}

  secondAt(ms: number): number {
    return Math.floor((ms - this.epochMs) / 1000);
  }

  private slot(second: number): Second {
    let s = this.seconds.get(second);
    if (!s) {
      s = {
        sent: 0,
        acked: 0,
        delivered: 0,
        skipped: 0,
        errors: {},
        ack: new LatencyHistogram(),
        delivery: new LatencyHistogram(),
        held: new Map(),
        extra: {},
      };
      this.seconds.set(second, s);
    }
    return s;
  }

  addTick(tick: WorkerTick): void {
    const s = this.slot(tick.second);
    s.sent += tick.sent;
    s.acked += tick.acked;
    s.delivered += tick.delivered;
    s.skipped += tick.skipped;
    for (const [code, n] of Object.entries(tick.errors)) s.errors[code] = (s.errors[code] ?? 0) + n;
    s.ack.add(tick.ack);
    s.delivery.add(tick.delivery);
    s.held.set(tick.worker, tick.held);
    for (const [key, [n, maxMs]] of Object.entries(tick.perMessage ?? {})) {
      const seen = this.perMessage.get(key);
      if (seen) {
        seen[0] += n;
        if (maxMs > seen[1]) seen[1] = maxMs;
      } else this.perMessage.set(key, [n, maxMs]);
    }
  }

  /** A coordinator-side sample, e.g. `gateway-1 cpu %`. */
  sample(second: number, series: string, value: number): void {
    this.slot(second).extra[series] = value;
  }

  /** Totals and merged latency histograms over seconds [from, to). */
  window(from: number, to: number): WindowTotals {
    const ack = new LatencyHistogram();
    const delivery = new LatencyHistogram();
    const errors: Record<string, number> = {};
    let sent = 0;
    let acked = 0;
    let delivered = 0;
    let skipped = 0;
    for (const [second, s] of this.seconds) {
      if (second < from || second >= to) continue;
      sent += s.sent;
      acked += s.acked;
      delivered += s.delivered;
      skipped += s.skipped;
      ack.add(s.ack);
      delivery.add(s.delivery);
      for (const [code, n] of Object.entries(s.errors)) errors[code] = (errors[code] ?? 0) + n;
    }
    return { seconds: Math.max(0, to - from), sent, acked, delivered, skipped, errors, ack: ack.summary(), delivery: delivery.summary() };
  }

  /** One row per second for plots and the JSON report; `t` counts from `from`. */
  rows(from = this.firstSecond(), to = this.lastSecond() + 1): Array<Record<string, number>> {
    const rows: Array<Record<string, number>> = [];
    let held = new Map<number, number>();
    for (let second = from; second < to; second++) {
      const s = this.seconds.get(second);
      if (s) held = new Map([...held, ...s.held]);
      const ack = s?.ack.summary();
      const delivery = s?.delivery.summary();
      rows.push({
        t: second - from,
        sent_per_s: s?.sent ?? 0,
        acked_per_s: s?.acked ?? 0,
        delivered_per_s: s?.delivered ?? 0,
        errors: Object.values(s?.errors ?? {}).reduce((a, b) => a + b, 0),
        sockets: [...held.values()].reduce((a, b) => a + b, 0),
        ack_p50_ms: round(ack?.p50 ?? 0),
        ack_p99_ms: round(ack?.p99 ?? 0),
        delivery_p50_ms: round(delivery?.p50 ?? 0),
        delivery_p99_ms: round(delivery?.p99 ?? 0),
        delivery_max_ms: round(delivery?.max ?? 0),
        ...(s?.extra ?? {}),
      });
    }
    return rows;
  }

  firstSecond(): number {
    return this.seconds.size ? Math.min(...this.seconds.keys()) : 0;
  }

  lastSecond(): number {
    return this.seconds.size ? Math.max(...this.seconds.keys()) : 0;
  }
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
