/** Latency figures from a list of samples (ms). */
export function percentile(sortedMs: readonly number[], p: number): number {
  if (!sortedMs.length) return Number.NaN;
  const index = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[index]!;
}

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly latenciesMs: number[];
  /** Status codes other than 200, with counts, for the notes. */
  readonly failures: Record<string, number>;
}

async function timedGet(
  url: string,
  headers: Record<string, string>,
  result: { errors: number; failures: Record<string, number> },
): Promise<void> {
  try {
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    if (res.status !== 200) {
      result.errors += 1;
      result.failures[String(res.status)] = (result.failures[String(res.status)] ?? 0) + 1;
    }
  } catch (err) {
    result.errors += 1;
    const key = err instanceof Error ? err.message : 'error';
    result.failures[key] = (result.failures[key] ?? 0) + 1;
  }
}

/**
 * Closed loop: `workers` concurrent clients, each sending its next request as soon as the
 * previous one answered, for `seconds`. Node's fetch keeps connections alive.
 */
export async function closedLoop(
  nextUrl: () => string,
  headers: Record<string, string>,
  workers: number,
  seconds: number,
): Promise<LoadResult> {
  const result = { errors: 0, failures: {} as Record<string, number> };
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await timedGet(nextUrl(), headers, result);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { requests: latencies.length, ...result, seconds: (performance.now() - started) / 1000, latenciesMs: latencies };
}

/**
 * Open loop at a fixed rate: request i is due at start + i/rate and its latency counts from
 * when it was due, so a stall shows up in the figures instead of slowing the load down.
 */
export async function fixedRate(
  nextUrl: () => string,
  headers: Record<string, string>,
  perSecond: number,
  seconds: number,
): Promise<LoadResult> {
  const result = { errors: 0, failures: {} as Record<string, number> };
  const latencies: number[] = [];
  const started = performance.now();
  const total = Math.round(perSecond * seconds);
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i += 1) {
    const due = started + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(timedGet(nextUrl(), headers, result).then(() => void latencies.push(performance.now() - due)));
  }
  await Promise.all(inFlight);
  return { requests: latencies.length, ...result, seconds: (performance.now() - started) / 1000, latenciesMs: latencies };
}
