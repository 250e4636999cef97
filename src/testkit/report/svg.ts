/**
 * Inline SVG charts for the HTML report. No scripts, fonts or external references: the report
 * must open from a CI artifact with no network.
 */
import type { ClassComparison, LoadSample, ScoreComparison } from '../types.js';
import { escapeXml } from './junit.js';

const W = 640;
const H = 240;
const PAD = { left: 56, right: 12, top: 12, bottom: 36 };
const plotW = W - PAD.left - PAD.right;
const plotH = H - PAD.top - PAD.bottom;

function frame(title: string, body: string, xLabel: string, yLabel: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(title)}">` +
    `<title>${escapeXml(title)}</title>` +
    `<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="#fafafa" stroke="#ccc"/>${body}` +
    `<text x="${PAD.left + plotW / 2}" y="${H - 6}" text-anchor="middle" font-size="12">${escapeXml(xLabel)}</text>` +
    `<text x="14" y="${PAD.top + plotH / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${PAD.top + plotH / 2})">${escapeXml(yLabel)}</text></svg>`;
}

const tick = (x: number, y: number, text: string, anchor = 'middle'): string =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" text-anchor="${anchor}" font-size="10" fill="#555">${escapeXml(text)}</text>`;

/** Latency histogram over time: columns are time slices, rows latency bands, darker = more requests. */
export function latencyHeatmapSvg(samples: readonly LoadSample[], durationMs: number): string {
  const columns = 40;
  const rows = 16;
  const maxLatency = Math.max(1, ...samples.map((s) => s.latencyMs));
  const grid = Array.from({ length: columns }, () => new Array<number>(rows).fill(0));
  const errors = new Array<number>(columns).fill(0);
  for (const s of samples) {
    const c = Math.min(columns - 1, Math.floor((s.scheduledAtMs / Math.max(1, durationMs)) * columns));
    const r = Math.min(rows - 1, Math.floor((s.latencyMs / maxLatency) * rows));
    grid[c]![r]!++;
    if (!s.ok) errors[c]!++;
  }
  const peak = Math.max(1, ...grid.flat());
  const cw = plotW / columns;
  const rh = plotH / rows;
  let body = '';
  grid.forEach((col, c) => col.forEach((n, r) => {
    if (n === 0) return;
    const shade = 0.15 + 0.85 * (n / peak);
    body += `<rect x="${(PAD.left + c * cw).toFixed(1)}" y="${(PAD.top + plotH - (r + 1) * rh).toFixed(1)}" width="${cw.toFixed(1)}" height="${rh.toFixed(1)}" fill="rgb(31,119,180)" fill-opacity="${shade.toFixed(2)}"><title>${n} requests</title></rect>`;
  }));
  errors.forEach((n, c) => {
    if (n > 0) body += `<rect x="${(PAD.left + c * cw).toFixed(1)}" y="${PAD.top}" width="${cw.toFixed(1)}" height="4" fill="#d62728"><title>${n} errors</title></rect>`;
  });
  for (const f of [0, 0.5, 1]) {
    body += tick(PAD.left + f * plotW, PAD.top + plotH + 14, `${((f * durationMs) / 1000).toFixed(1)} s`);
    body += tick(PAD.left - 4, PAD.top + plotH - f * plotH + 3, `${(f * maxLatency).toFixed(0)} ms`, 'end');
  }
  return frame('Latency over time (red: errors)', body, 'scheduled send time', 'latency');
}

/** Baseline and observed score histograms as shares, on the same bins. */
export function scoreHistogramSvg(c: ScoreComparison): string {
  const bins = 20;
  const all = [...c.baseline, ...c.observed];
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const width = hi > lo ? (hi - lo) / bins : 1;
  const shares = (values: readonly number[]): number[] => {
    const counts = new Array<number>(bins).fill(0);
    for (const v of values) counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)))]!++;
    return counts.map((n) => n / Math.max(1, values.length));
  };
  const base = shares(c.baseline);
  const seen = shares(c.observed);
  const top = Math.max(1e-9, ...base, ...seen);
  const bw = plotW / bins;
  let body = '';
  for (let k = 0; k < bins; k++) {
    const x = PAD.left + k * bw;
    const hb = (base[k]! / top) * plotH;
    const ho = (seen[k]! / top) * plotH;
    body += `<rect x="${x.toFixed(1)}" y="${(PAD.top + plotH - hb).toFixed(1)}" width="${bw.toFixed(1)}" height="${hb.toFixed(1)}" fill="#bbb"/>`;
    body += `<rect x="${(x + 2).toFixed(1)}" y="${(PAD.top + plotH - ho).toFixed(1)}" width="${Math.max(1, bw - 4).toFixed(1)}" height="${ho.toFixed(1)}" fill="none" stroke="#1f77b4" stroke-width="2"/>`;
  }
  body += tick(PAD.left, PAD.top + plotH + 14, lo.toPrecision(3)) + tick(PAD.left + plotW, PAD.top + plotH + 14, hi.toPrecision(3));
  body += tick(PAD.left - 4, PAD.top + 8, `${(top * 100).toFixed(0)}%`, 'end');
  return frame(`${c.output}: baseline (grey) vs predictions (blue)`, body, c.output, 'share');
}

/** Baseline and observed class shares, side by side per class. */
export function classBarsSvg(c: ClassComparison): string {
  const classes = [...new Set([...Object.keys(c.baseline), ...Object.keys(c.observed)])].sort();
  const total = Object.values(c.observed).reduce((a, b) => a + b, 0) || 1;
  const seen = classes.map((k) => (c.observed[k] ?? 0) / total);
  const base = classes.map((k) => c.baseline[k] ?? 0);
  const top = Math.max(1e-9, ...seen, ...base);
  const gw = plotW / Math.max(1, classes.length);
  let body = '';
  classes.forEach((k, i) => {
    const x = PAD.left + i * gw;
    const hb = (base[i]! / top) * plotH;
    const ho = (seen[i]! / top) * plotH;
    body += `<rect x="${(x + gw * 0.1).toFixed(1)}" y="${(PAD.top + plotH - hb).toFixed(1)}" width="${(gw * 0.4).toFixed(1)}" height="${hb.toFixed(1)}" fill="#bbb"><title>${escapeXml(k)} baseline ${(base[i]! * 100).toFixed(1)}%</title></rect>`;
    body += `<rect x="${(x + gw * 0.5).toFixed(1)}" y="${(PAD.top + plotH - ho).toFixed(1)}" width="${(gw * 0.4).toFixed(1)}" height="${ho.toFixed(1)}" fill="#1f77b4"><title>${escapeXml(k)} observed ${(seen[i]! * 100).toFixed(1)}%</title></rect>`;
    if (classes.length <= 12) body += tick(x + gw / 2, PAD.top + plotH + 14, k.length > 14 ? `${k.slice(0, 13)}…` : k);
  });
  return frame(`${c.output}: baseline (grey) vs predictions (blue)`, body, 'class', 'share');
}
