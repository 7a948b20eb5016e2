/**
 * What the `room` scenario (and any scenario that runs the same load against the floor server
 * and NeonChat in one run) computes from its measurements: the loads it is given, ratios to the
 * floor, the steadiness of repeated runs, and the server processes' CPU and memory. No I/O, so
 * the unit tests check it whole.
 */

/** One room load: `members` in one group, `rate` messages a second offered into it. */
export interface RoomLoad {
  readonly members: number;
  readonly rate: number;
}

/** The loads of issue 32: 1,000 members at 200 msg/s, 200 members at 500 msg/s. */
export const DEFAULT_ROOM_LOADS = '1000x200,200x500';
const MAX_MEMBERS = 20_000;
const MAX_RATE = 20_000;
const MAX_REPEATS = 20;

function wholeIn(raw: string, low: number, high: number): number | undefined {
  if (!/^\d+$/.test(raw)) return undefined;
  const n = Number(raw);
  return n >= low && n <= high ? n : undefined;
}

/** `--set room_loads=MEMBERSxRATE,…` (e.g. `1000x200,200x500`, the default). */
export function roomLoadsOf(params: Readonly<Record<string, string>>): RoomLoad[] {
  const raw = params.room_loads ?? DEFAULT_ROOM_LOADS;
  const loads = raw.split(',').map((part) => {
    const [m, r, ...rest] = part.trim().split('x');
    const members = wholeIn(m ?? '', 2, MAX_MEMBERS);
    const rate = wholeIn(r ?? '', 1, MAX_RATE);
    if (members === undefined || rate === undefined || rest.length > 0)
      throw new Error(`--set room_loads: expected MEMBERSxRATE,… (members 2-${MAX_MEMBERS}, rate 1-${MAX_RATE} msg/s), got ${raw}`);
    return { members, rate };
  });
  return loads;
}

/** `--set room_repeats=N`: NeonChat's run of each load N times back to back (1 by default, at most 20). */
export function roomRepeatsOf(params: Readonly<Record<string, string>>): number {
  const raw = params.room_repeats ?? '1';
  const n = wholeIn(raw.trim(), 1, MAX_REPEATS);
  if (n === undefined) throw new Error(`--set room_repeats: expected 1-${MAX_REPEATS}, got ${params.room_repeats}`);
  return n;
}

/** NeonChat's figure over the floor's; NaN when the floor's is not a positive number (nothing to compare with). */
export function ratioToFloor(neonchat: number, floor: number): number {
  if (!(floor > 0) || !Number.isFinite(neonchat)) return NaN;
  return neonchat / floor;
}

/** Worst over best of repeated runs' p99s (1 for one run); NaN when there is none or a best of 0. */
export function worstOverBest(p99s: readonly number[]): number {
  if (p99s.length === 0) return NaN;
  const best = Math.min(...p99s);
  return best > 0 ? Math.max(...p99s) / best : NaN;
}

/** The median of repeated runs' figures (the lower middle one of an even count, so it is a run's own figure). */
export function medianRun(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** Deliveries made over those owed (every acked message to every other member), in %; 0 when nothing was acked. */
export function deliveredPercent(delivered: number, acked: number, receivers: number): number {
  const owed = acked * receivers;
  return owed > 0 ? (100 * delivered) / owed : 0;
}

/** The load generator's processes (client-N) are no server's. */
export const isServerProcess = (name: string): boolean => !/^client-\d+$/.test(name);

/**
 * The server processes' CPU summed (% of one core, averaged over the phase) and their memory:
 * the largest per-second sum of their RSS over the phase's timeline rows.
 */
export function serverUsage(
  cpu: ReadonlyArray<{ name: string; percent: number }>,
  rows: ReadonlyArray<Record<string, number>>,
): { cpuPct: number; rssMiB: number } {
  const servers = cpu.filter((c) => isServerProcess(c.name));
  const cpuPct = servers.reduce((sum, c) => sum + c.percent, 0);
  let rssMiB = 0;
  for (const row of rows) {
    let sum = 0;
    for (const [key, value] of Object.entries(row))
      if (key.endsWith('_rss_mib') && isServerProcess(key.slice(0, -'_rss_mib'.length))) sum += value;
    rssMiB = Math.max(rssMiB, sum);
  }
  return { cpuPct, rssMiB: Math.round(rssMiB) };
}

/** What a throughput step needs to say whether it held: its offered rate, what was sent and acked, and the ack p99. */
export interface ThroughputStep {
  readonly rate: number;
  readonly sent: number;
  readonly acked: number;
  readonly unacked: number;
  readonly ackP99: number;
}

/** Issue 32: a step holds with every message acked (and persisted, for the whole run) and ack p99 under this. */
export const THROUGHPUT_ACK_P99_MS = 100;

/**
 * The highest offered rate of the steps, climbing from the lowest, before the first that does
 * not hold (a message sent and not acked, or ack p99 ≥ 100 ms); 0 when the run did not persist
 * every acked message or the first step fails.
 */
export function highestHeldStep(steps: readonly ThroughputStep[], allPersisted: boolean): number {
  if (!allPersisted) return 0;
  let held = 0;
  for (const s of [...steps].sort((a, b) => a.rate - b.rate)) {
    const holds = s.sent > 0 && s.acked >= s.sent && s.unacked === 0 && s.ackP99 < THROUGHPUT_ACK_P99_MS;
    if (!holds) break;
    held = s.rate;
  }
  return held;
}

/** CPU ms per acked message of the named processes, in one step; NaN for one the step did not sample. */
export function cpuPerMessage(step: { cpuMsPerAcked: Readonly<Record<string, number>> }, names: readonly string[]): Record<string, number> {
  return Object.fromEntries(names.map((n) => [n, step.cpuMsPerAcked[n] ?? NaN]));
}
