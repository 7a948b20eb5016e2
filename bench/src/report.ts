import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { PlotPanel, ScenarioResult } from './scenario.js';
import { renderTimelineSvg } from './plot/timeline-svg.js';
import { svgToPng } from './plot/svg-to-png.js';

/** Panels drawn when a scenario names none: whatever of these its timeline has. */
export const DEFAULT_PLOT: PlotPanel[] = [
  { title: 'Throughput', unit: 'per second', series: ['sent_per_s', 'acked_per_s', 'delivered_per_s', 'persisted_per_s'] },
  { title: 'Latency', unit: 'ms', series: ['delivery_p50_ms', 'delivery_p99_ms', 'ack_p99_ms'] },
];

export function machineDescription(): string {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  return `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${process.platform}`;
}

export function markdownTable(result: ScenarioResult): string {
  const lines = [
    `### ${result.scenario}`,
    '',
    result.description,
    '',
    `Parameters: ${
      Object.entries(result.parameters)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || 'none'
    }`,
    '',
    '| figure | value | target | met |',
    '| --- | ---: | --- | --- |',
    ...result.figures.map(
      (f) => `| ${f.name} | ${formatNumber(f.value)} ${f.unit} | ${f.target ?? ''} | ${f.met === undefined ? '' : f.met ? 'yes' : 'no'} |`,
    ),
  ];
  if (result.processes?.length) {
    lines.push('', '| process | CPU s | avg CPU % of a core | RSS MiB start → end | peak RSS MiB |', '| --- | ---: | ---: | ---: | ---: |');
    for (const p of result.processes) {
      const rss = p.startRssMiB !== undefined && p.endRssMiB !== undefined ? `${p.startRssMiB.toFixed(0)} → ${p.endRssMiB.toFixed(0)}` : '';
      lines.push(`| ${p.name} | ${p.cpuSeconds.toFixed(1)} | ${p.cpuPercent?.toFixed(0) ?? ''} | ${rss} | ${p.peakRssMiB.toFixed(0)} |`);
    }
  }
  if (result.notes?.length) lines.push('', ...result.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

function parameterLine(result: ScenarioResult): string {
  return Object.entries(result.parameters)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value < 10 ? value.toFixed(3) : value.toFixed(1);
}

export interface WrittenReport {
  readonly json: string;
  readonly markdown: string;
  readonly plots: string[];
  /** Why a plot has no PNG, when it has none. */
  readonly warnings: string[];
}

/** Writes `<scenario>.svg` and, with rsvg-convert, `<scenario>.png`; the markdown line that shows it. */
function writePlot(outDir: string, result: ScenarioResult, plots: string[], warnings: string[]): string | undefined {
  if (!result.timeline?.length) return undefined;
  const svg = join(outDir, `${result.scenario}.svg`);
  const png = join(outDir, `${result.scenario}.png`);
  writeFileSync(svg, renderTimelineSvg(result.scenario, result.timeline, result.plot ?? DEFAULT_PLOT, parameterLine(result)));
  const converted = svgToPng(svg, png);
  if (converted.ok) {
    plots.push(png);
    return `![${result.scenario} over time](${result.scenario}.png)`;
  }
  plots.push(svg);
  warnings.push(`${result.scenario}: ${converted.reason}`);
  return `![${result.scenario} over time](${result.scenario}.svg)`;
}

export function writeReport(outDir: string, results: ScenarioResult[]): WrittenReport {
  mkdirSync(outDir, { recursive: true });
  const json = join(outDir, 'report.json');
  const markdown = join(outDir, 'report.md');
  const plots: string[] = [];
  const warnings: string[] = [];
  const sections = results.map((r) => {
    const image = writePlot(outDir, r, plots, warnings);
    return image ? `${markdownTable(r)}\n\n${image}` : markdownTable(r);
  });
  writeFileSync(json, JSON.stringify({ machine: machineDescription(), at: new Date().toISOString(), results }, null, 2));
  writeFileSync(
    markdown,
    [`# NeonChat benchmark report`, `Machine: ${machineDescription()}`, ...warnings.map((w) => `> ${w}`), ...sections].join('\n\n') + '\n',
  );
  return { json, markdown, plots, warnings };
}
