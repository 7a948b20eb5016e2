import { readFileSync } from 'node:fs';
import { allPids, childrenOf } from '@neonchat/common/testing';
import { procStat } from '../bench-environment.js';
import type { Timeline } from './timeline.js';

export interface SampledProcess {
  readonly name: string;
  cpuSeconds(): number;
  rssMiB(): number;
}

export interface ProcessUsage {
  readonly name: string;
  /** CPU seconds used between start() and stop(). */
  readonly cpuSeconds: number;
  /** Average CPU over that time, in % of one core. */
  readonly cpuPercent: number;
  readonly startRssMiB: number;
  readonly peakRssMiB: number;
  readonly endRssMiB: number;
}

/** A bench worker (or any pid) seen through /proc, like the service processes. */
export function pidProcess(name: string, pid: number): SampledProcess {
  return { name, cpuSeconds: () => procStat(pid).cpuSeconds, rssMiB: () => procStat(pid).rssMiB };
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** The first process whose command line contains every one of `parts` (e.g. a server's port flag). */
export function findPid(...parts: string[]): number | undefined {
  return allPids().find((pid) => {
    const cmd = cmdline(pid);
    return parts.every((p) => cmd.includes(p));
  });
}

/**
 * A server and its direct children as one process (PostgreSQL runs a backend per connection):
 * CPU summed; RSS summed too, which over-counts memory the children share with the parent.
 */
export function processTree(name: string, rootPid: number): SampledProcess {
  let children: number[] = [];
  let refreshedAt = 0;
  const members = () => {
    // Backends come and go with connections; re-list them at most once a second.
    if (Date.now() - refreshedAt > 1000) {
      children = childrenOf(rootPid);
      refreshedAt = Date.now();
    }
    return [rootPid, ...children];
  };
  return {
    name,
    cpuSeconds: () => members().reduce((a, pid) => a + procStat(pid).cpuSeconds, 0),
    rssMiB: () => members().reduce((a, pid) => a + procStat(pid).rssMiB, 0),
  };
}

/**
 * Samples each process's CPU and RSS once a second into the timeline (`<name>_cpu_pct`,
 * `<name>_rss_mib`) and sums them up for the report.
 */
export class ProcessSampler {
  private timer: NodeJS.Timeout | undefined;
  private readonly state = new Map<string, { cpu0: number; lastCpu: number; rss0: number; peak: number; end: number }>();
  private startedMs = 0;
  private stoppedMs = 0;

  constructor(
    private readonly processes: SampledProcess[],
    private readonly timeline: Timeline,
    private readonly clock: () => number,
  ) {}

  start(): void {
    this.startedMs = this.clock();
    for (const p of this.processes) {
      const cpu = p.cpuSeconds();
      const rss = p.rssMiB();
      this.state.set(p.name, { cpu0: cpu, lastCpu: cpu, rss0: rss, peak: rss, end: rss });
    }
    let lastMs = this.startedMs;
    this.timer = setInterval(() => {
      const now = this.clock();
      const second = this.timeline.secondAt(now);
      for (const p of this.processes) {
        const s = this.state.get(p.name);
        if (!s) continue;
        const cpu = p.cpuSeconds();
        const rss = p.rssMiB();
        // Clamped: a process tree loses the CPU time of children that exit.
        this.timeline.sample(second, `${p.name}_cpu_pct`, Math.max(0, Math.round(((cpu - s.lastCpu) / ((now - lastMs) / 1000)) * 100)));
        this.timeline.sample(second, `${p.name}_rss_mib`, Math.round(rss));
        s.lastCpu = cpu;
        s.peak = Math.max(s.peak, rss);
        s.end = rss;
      }
      lastMs = now;
    }, 1000);
  }

  stop(): ProcessUsage[] {
    if (this.timer) clearInterval(this.timer);
    this.stoppedMs = this.clock();
    const seconds = Math.max(0.001, (this.stoppedMs - this.startedMs) / 1000);
    return this.processes.map((p) => {
      const s = this.state.get(p.name) ?? { cpu0: 0, lastCpu: 0, rss0: 0, peak: 0, end: 0 };
      const cpuSeconds = Math.max(0, p.cpuSeconds() - s.cpu0);
      const rss = p.rssMiB();
      return {
        name: p.name,
        cpuSeconds,
        cpuPercent: (cpuSeconds / seconds) * 100,
        startRssMiB: s.rss0,
        peakRssMiB: Math.max(s.peak, rss),
        endRssMiB: rss || s.end,
      };
    });
  }
}
