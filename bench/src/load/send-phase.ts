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
