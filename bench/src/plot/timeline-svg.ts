import type { PlotPanel } from '../scenario.js';

const WIDTH = 1200;
const PANEL_HEIGHT = 240;
const GAP = 56;
const LEFT = 80;
const RIGHT = 230;
const TOP = 66;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A round axis maximum at or above `v`: 1, 2, 2.5 or 5 times a power of ten. */
export function niceCeiling(v: number): number {
  if (!(v > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= v) return m * power;
  return 10 * power;
}

function label(v: number): string {
  if (v >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (v >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(v < 1 ? 2 : 1);
}

/**
 * The timeline as stacked line charts, one panel per PlotPanel, time in seconds along x.
 * Series absent from every row are left out of the legend; a panel with none says so.
 */
export function renderTimelineSvg(title: string, rows: Array<Record<string, number>>, panels: PlotPanel[], subtitle = ''): string {
  const height = TOP + panels.length * (PANEL_HEIGHT + GAP);
  const plotWidth = WIDTH - LEFT - RIGHT;
  const tMax = Math.max(1, ...rows.map((r) => r.t ?? 0));
  const x = (t: number) => LEFT + (t / tMax) * plotWidth;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="DejaVu Sans, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="26" font-size="20" font-weight="bold" fill="#222">${escapeXml(title)}</text>`,
    `<text x="${LEFT}" y="46" font-size="12" fill="#555">${escapeXml(subtitle.length > 160 ? `${subtitle.slice(0, 157)}…` : subtitle)}</text>`,
  ];
  panels.forEach((panel, p) => {
    const top = TOP + p * (PANEL_HEIGHT + GAP) + 20;
    const bottom = top + PANEL_HEIGHT - 20;
    const series = panel.series.filter((s) => rows.some((r) => Number.isFinite(r[s])));
    const yMax = niceCeiling(Math.max(0, ...series.flatMap((s) => rows.map((r) => r[s] ?? 0))));
    const y = (v: number) => bottom - (Math.min(v, yMax) / yMax) * (bottom - top);
    out.push(`<text x="${LEFT}" y="${top - 8}" font-size="15" fill="#222">${escapeXml(`${panel.title} (${panel.unit})`)}</text>`);
    for (let i = 0; i <= 4; i++) {
      const v = (yMax * i) / 4;
      out.push(
        `<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="${i === 0 ? '#444' : '#ddd'}" stroke-width="1"/>`,
        `<text x="${LEFT - 8}" y="${(y(v) + 4).toFixed(1)}" font-size="12" text-anchor="end" fill="#444">${label(v)}</text>`,
      );
    }
    const tStep = niceCeiling(tMax / 10);
    for (let t = 0; t <= tMax; t += tStep) {
      out.push(
        `<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${bottom}" y2="${bottom + 5}" stroke="#444"/>`,
        `<text x="${x(t).toFixed(1)}" y="${bottom + 19}" font-size="12" text-anchor="middle" fill="#444">${label(t)}</text>`,
      );
    }
    out.push(`<text x="${LEFT + plotWidth}" y="${bottom + 36}" font-size="12" text-anchor="end" fill="#444">seconds</text>`);
    if (series.length === 0) {
      out.push(
        `<text x="${LEFT + plotWidth / 2}" y="${(top + bottom) / 2}" font-size="14" text-anchor="middle" fill="#888">no data</text>`,
      );
    }
    series.forEach((s, i) => {
      const color = COLORS[i % COLORS.length]!;
      const points = rows
        .filter((r) => Number.isFinite(r[s]))
        .map((r) => `${x(r.t ?? 0).toFixed(1)},${y(r[s]!).toFixed(1)}`)
        .join(' ');
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points}"/>`);
      const ly = top + 4 + i * 20;
      out.push(
        `<line x1="${LEFT + plotWidth + 16}" x2="${LEFT + plotWidth + 40}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="3"/>`,
        `<text x="${LEFT + plotWidth + 46}" y="${ly + 4}" font-size="12" fill="#222">${escapeXml(s)}</text>`,
      );
    });
  });
  out.push('</svg>');
  return out.join('\n');
}
