import { getHeapSpaceStatistics } from 'node:v8';

/** A semi-space of the young generation, in MiB, that the gateway is started with. */
export const GATEWAY_SEMI_SPACE_MIB = 32;

/**
 * Node options every launcher of the gateway passes (Dockerfile, scripts/lib.sh, the bench): a
 * young generation of two fixed 32 MiB semi-spaces. V8 starts a semi-space at 1 MiB and grows it
 * (up to 32 MiB in Node 20) only while many objects survive; a gateway's stayed near 16 MiB.
 *
 * Why: a gateway allocates ~17 MB a second at 2,000 msg/s, and few of those objects live long.
 * With V8's sizing it scavenged about every 0.7 s. Each scavenge copied ~0.25 MB of survivors,
 * yet paused the process for 3–25 ms (median 8–12 ms), mostly waiting for a core on a busy box.
 * The messages caught in those pauses are the p99. Fixed at 32 MiB, a gateway scavenges half as
 * often and spends half the time paused, and has one mark-compact in a bench run instead of
 * six. The bench's send → receive p99 over 2,000 msg/s steps fell from a median of 50 ms to
 * 32 ms, for 30-60 MiB more RSS (docs/BENCHMARKS.md, session 10). The maximum alone does not do
 * it: V8 grows the space only part of the way, and the p99 stayed where it was.
 *
 * V8 sizes the heap when the process starts, so nothing inside can set this, and NODE_OPTIONS
 * refuses `--min-semi-space-size`: the options go on the command line. Workers
 * (GATEWAY_WORKERS) inherit them with the rest of the parent's `execArgv`.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = [
  `--max-semi-space-size=${GATEWAY_SEMI_SPACE_MIB}`,
  `--min-semi-space-size=${GATEWAY_SEMI_SPACE_MIB}`,
];

/** The size of one semi-space of this process's young generation now, in MiB. */
export function semiSpaceMiB(): number {
  const newSpace = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return newSpace ? newSpace.space_size / (1024 * 1024) : 0;
}
