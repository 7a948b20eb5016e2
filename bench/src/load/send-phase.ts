import type { LoadSession } from './load-session.js';
import type { WindowTotals } from './timeline.js';
import type { SendResult } from './worker-pool.js';

export interface PhaseResult {
  readonly rate: number;
  readonly durationS: number;
  /** Timeline seconds [from, to) the phase covers, its drain included. */
  readonly from: number;
  readonly to: number;
  readonly send: SendResult;
  readonly totals: WindowTotals;
  readonly ackedPerSecond: number;
  readonly deliveredPerSecond: number;
}

/**
 * Sends at `rate` msg/s for `durationS`, waits for the acks in flight, and totals the phase
 * from the timeline (deliveries that land right after the last send included).
 */
export async function runSendPhase(session: LoadSession, rate: number, durationS: number, textBytes = 100): Promise<PhaseResult> {
  const from = session.second() + 1;
  // Start on a second boundary so the phase's first timeline second is a full one.
  await new Promise((r) => setTimeout(r, 1000 - ((performance.timeOrigin + performance.now() - session.timeline.epochMs) % 1000)));
  const sendStartedMs = performance.timeOrigin + performance.now();
  const send = await session.pool.send(rate, durationS * 1000, textBytes);
  const to = session.second() + 1;
  if (session.ctx.params.profile_dir) {
    const since = (ms: number) => ((ms - session.stackStartedMs) / 1000).toFixed(1);
    session.ctx.log(
      `profile window of the ${rate} msg/s phase: --from-s ${since(sendStartedMs)} --to-s ${since(sendStartedMs + durationS * 1000)}`,
    );
  }
  // Ticks for the last second arrive ~100 ms after it ends.
  await new Promise((r) => setTimeout(r, 1300));
  const totals = session.timeline.window(from, to);
  return {
    rate,
    durationS,
    from,
    to,
    send,
    totals,
    ackedPerSecond: totals.acked / durationS,
    deliveredPerSecond: totals.delivered / durationS,
  };
}

/**
 * `--set warmup_s=N` (5 by default, 0 skips it): seconds sent at the first measured rate before
 * the measured phases, totalled but counted in no figure. The first seconds of a fresh run are
 * the slowest of any run, against the floor server too (docs/BENCHMARKS.md, "Issue 15, session
 * 8"): JIT compilation and heap growth of the load generator and of the server. Measured
 * without one, the first step reports those seconds rather than the rate it offers.
 */
export function warmupSecondsOf(params: Readonly<Record<string, string>>): number {
  const raw = params.warmup_s ?? '5';
  const seconds = raw.trim() === '' ? NaN : Number(raw); // Number('') is 0
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 600) throw new Error(`--set warmup_s: expected 0-600, got ${params.warmup_s}`);
  return seconds;
}

/** The warm-up phase (see warmupSecondsOf), or undefined when it is off. */
export async function runWarmup(session: LoadSession, rate: number, seconds: number): Promise<PhaseResult | undefined> {
  if (seconds === 0) return undefined;
  const phase = await runSendPhase(session, rate, seconds);
  session.ctx.log(`warm-up: ${warmupNote(phase)}`);
  return phase;
}

/** What the report says of the warm-up: its figures are shown, never counted. */
export function warmupNote(phase: PhaseResult | undefined): string {
  if (!phase) return 'No warm-up (warmup_s=0): the first step includes the run’s first seconds.';
  const t = phase.totals;
  return `Warm-up before the measured phases (not counted in any figure): ${phase.rate} msg/s for ${phase.durationS} s, acked ${Math.round(phase.ackedPerSecond)}/s, send → receive p50 / p99 ${t.delivery.p50.toFixed(1)} / ${t.delivery.p99.toFixed(1)} ms.`;
}
