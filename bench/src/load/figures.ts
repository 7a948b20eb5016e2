import type { Figure, ScenarioResult } from '../scenario.js';
import type { LatencySummary } from './latency-histogram.js';
import type { ProcessUsage } from './process-sampler.js';

/** A target a figure is held to: its text for the report and the test it must pass. */
export interface Target {
  readonly text: string;
  readonly met: (value: number) => boolean;
}

export const below = (limit: number, text: string): Target => ({ text, met: (v) => v < limit });
export const atLeast = (floor: number, text: string): Target => ({ text, met: (v) => v >= floor });

export function figure(name: string, value: number, unit: string, ...targets: Target[]): Figure {
  const rounded = Number.isInteger(value) ? value : Math.round(value * 1000) / 1000;
  if (targets.length === 0) return { name, value: rounded, unit };
  return { name, value: rounded, unit, target: targets.map((t) => t.text).join('; '), met: targets.every((t) => t.met(value)) };
}

/** p50/p95/p99/max of one latency, each with the targets that apply to that percentile. */
export function latencyFigures(
  what: string,
  s: LatencySummary,
  targets: Partial<Record<'p50' | 'p95' | 'p99' | 'max', Target[]>> = {},
): Figure[] {
  return (['p50', 'p95', 'p99', 'max'] as const).map((p) => figure(`${what} ${p}`, s[p], 'ms', ...(targets[p] ?? [])));
}

export function processRows(usage: ProcessUsage[]): NonNullable<ScenarioResult['processes']> {
  return usage.map((u) => ({
    name: u.name,
    cpuSeconds: Math.round(u.cpuSeconds * 10) / 10,
    cpuPercent: Math.round(u.cpuPercent),
    peakRssMiB: Math.round(u.peakRssMiB),
    startRssMiB: Math.round(u.startRssMiB),
    endRssMiB: Math.round(u.endRssMiB),
  }));
}

/** `code ×n, code ×n`, or `none`. */
export function errorSummary(errors: Record<string, number>): string {
  const parts = Object.entries(errors)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${code} ×${n}`);
  return parts.length ? parts.join(', ') : 'none';
}

export function errorCount(errors: Record<string, number>): number {
  return Object.values(errors).reduce((a, b) => a + b, 0);
}

export function mergeErrors(...all: Array<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const errors of all) for (const [code, n] of Object.entries(errors)) out[code] = (out[code] ?? 0) + n;
  return out;
}

export const SERVER_PROCESSES_NOTE =
  'Processes: client-N are the load generator (same 2 cores); postgres is the postmaster and its backends summed (its RSS counts shared buffers once per process, so it overstates memory).';
