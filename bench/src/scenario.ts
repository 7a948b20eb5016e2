import type { BenchEnvironment } from './bench-environment.js';

/** One figure of a benchmark, with its unit and, where one exists, the target it is held to. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** e.g. '< 50 ms (seed)', '≥ 20,000 msg/s (ours)' */
  readonly target?: string;
  /** Whether the figure meets its target; undefined when there is none. */
  readonly met?: boolean;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly description: string;
  readonly parameters: Record<string, string | number | boolean>;
  readonly figures: Figure[];
  /** Per-second samples for plots: {t (s since start), ...series}. */
  readonly timeline?: Array<Record<string, number>>;
  /** CPU seconds and peak RSS of each service process, where the scenario spawned them. */
  readonly processes?: Array<{
    name: string;
    cpuSeconds: number;
    peakRssMiB: number;
    /** Average CPU over the measured time, % of one core. */
    cpuPercent?: number;
    startRssMiB?: number;
    endRssMiB?: number;
  }>;
  /** Panels of the PNG plot drawn from `timeline`; a default (throughput, latency) when unset. */
  readonly plot?: PlotPanel[];
  readonly notes?: string[];
}

/** One panel of a timeline plot: the timeline series (keys of its rows) drawn as lines. */
export interface PlotPanel {
  readonly title: string;
  readonly unit: string;
  readonly series: string[];
}

export interface ScenarioContext {
  readonly env: BenchEnvironment;
  /** The short version `make bench` runs (whole suite under 5 minutes). */
  readonly quick: boolean;
  /** Scenario parameters from the command line (`--set key=value`). */
  readonly params: Record<string, string>;
  readonly log: (message: string) => void;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /**
   * Left out of the quick run of every scenario (`make bench` stays under 5 minutes); it runs
   * when named in `--only` or with `--full`.
   */
  readonly whenAsked?: boolean;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}
