import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { ScenarioResult } from './scenario.js';

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
    lines.push('', '| process | CPU s | peak RSS MiB |', '| --- | ---: | ---: |');
    for (const p of result.processes) lines.push(`| ${p.name} | ${p.cpuSeconds.toFixed(1)} | ${p.peakRssMiB.toFixed(0)} |`);
  }
  if (result.notes?.length) lines.push('', ...result.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value < 10 ? value.toFixed(3) : value.toFixed(1);
}

export function writeReport(outDir: string, results: ScenarioResult[]): { json: string; markdown: string } {
  mkdirSync(outDir, { recursive: true });
  const json = join(outDir, 'report.json');
  const markdown = join(outDir, 'report.md');
  writeFileSync(json, JSON.stringify({ machine: machineDescription(), at: new Date().toISOString(), results }, null, 2));
  writeFileSync(
    markdown,
    [`# NeonChat benchmark report`, '', `Machine: ${machineDescription()}`, '', ...results.map(markdownTable)].join('\n\n') + '\n',
  );
  return { json, markdown };
}
