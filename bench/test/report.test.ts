import { expect } from 'chai';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markdownTable, writeReport } from '../src/report.js';
import { renderTimelineSvg, niceCeiling, escapeXml } from '../src/plot/timeline-svg.js';
import { figure, below, atLeast, latencyFigures } from '../src/load/figures.js';
import type { ScenarioResult } from '../src/scenario.js';

const rows = Array.from({ length: 30 }, (_, t) => ({ t, acked_per_s: 500 + t, delivery_p99_ms: 4 + (t % 3) }));
const result: ScenarioResult = {
  scenario: 'demo',
  description: 'a demo <scenario>',
  parameters: { rate: 500 },
  figures: [
    figure('acked', 499.5, 'msg/s', atLeast(500, '≥ 500 msg/s')),
    ...latencyFigures('send → receive', { count: 1, p50: 1, p95: 2, p99: 3, max: 4, mean: 1 }, { p95: [below(50, '< 50 ms (seed)')] }),
  ],
  timeline: rows,
  processes: [{ name: 'gateway-1', cpuSeconds: 1.25, cpuPercent: 40, peakRssMiB: 130, startRssMiB: 120, endRssMiB: 125 }],
};

describe('bench report and plot', () => {
  it('marks each figure against its targets', () => {
    const [acked, , p95] = result.figures;
    expect(acked).to.include({ met: false, target: '≥ 500 msg/s' });
    expect(p95).to.include({ name: 'send → receive p95', met: true });
    expect(figure('no target', 1, 'x')).to.not.have.property('met');
  });

  it('writes a markdown table with figures, targets and processes', () => {
    const md = markdownTable(result);
    expect(md).to.contain('| acked | 499.5 msg/s | ≥ 500 msg/s | no |');
    expect(md).to.contain('| send → receive p95 | 2 ms | < 50 ms (seed) | yes |');
    expect(md).to.contain('| gateway-1 | 1.3 | 40 | 120 → 125 | 130 |');
  });

  it('draws one polyline per series present, with escaped text', () => {
    const svg = renderTimelineSvg(
      'demo <1>',
      rows,
      [
        { title: 'Throughput', unit: 'msg/s', series: ['acked_per_s', 'missing_series'] },
        { title: 'Latency', unit: 'ms', series: ['delivery_p99_ms'] },
      ],
      'rate=500',
    );
    expect(svg.match(/<polyline/g)).to.have.length(2);
    expect(svg).to.contain('demo &lt;1&gt;');
    expect(svg).to.not.contain('missing_series');
    expect(svg.match(/<polyline[^>]*points="([^"]*)"/)?.[1]?.split(' ')).to.have.length(30);
  });

  it('rounds axis maxima up to 1, 2, 2.5 or 5 × 10^n', () => {
    expect([0, 0.7, 3, 4.2, 529, 19_900].map(niceCeiling)).to.deep.equal([1, 1, 5, 5, 1000, 20_000]);
    expect(escapeXml(`a&b"'`)).to.equal('a&amp;b&quot;&apos;');
  });

  it('writes report.json, report.md and a plot per scenario with a timeline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    try {
      const written = writeReport(dir, [result]);
      const json = JSON.parse(readFileSync(written.json, 'utf8')) as { results: ScenarioResult[] };
      expect(json.results[0]?.scenario).to.equal('demo');
      expect(existsSync(join(dir, 'demo.svg'))).to.equal(true);
      const md = readFileSync(written.markdown, 'utf8');
      if (written.warnings.length === 0) {
        expect(existsSync(join(dir, 'demo.png'))).to.equal(true);
        expect(md).to.contain('![demo over time](demo.png)');
      } else {
        // Without rsvg-convert the report says so and links the SVG.
        expect(written.warnings[0]).to.contain('rsvg-convert');
        expect(md).to.contain('![demo over time](demo.svg)');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
