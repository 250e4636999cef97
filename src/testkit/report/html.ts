import type { Report, SuiteResult } from '../types.js';
import { escapeXml as esc } from './junit.js';
import { classBarsSvg, latencyHeatmapSvg, scoreHistogramSvg } from './svg.js';

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:60em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
.passed{color:#2ca02c}.failed{color:#d62728}.skipped{color:#b8860b}h2 .status{font-size:.8em}`;

function suiteSection(s: SuiteResult): string {
  const parts = [`<section><h2>${esc(s.name)} <span class="status ${s.status}">${s.status}</span></h2>`];
  if (s.reason) parts.push(`<p>${esc(s.reason)}</p>`);
  if (s.cases.length > 0) {
    parts.push('<table><tr><th>case</th><th>result</th><th>detail</th><th>time</th></tr>');
    for (const c of s.cases) {
      parts.push(`<tr><td>${esc(c.name)}</td><td class="${c.status}">${c.status}</td><td>${esc(c.message ?? '')}</td><td>${c.durationMs.toFixed(0)} ms</td></tr>`);
    }
    parts.push('</table>');
  }
  const l = s.load;
  if (l) {
    parts.push(`<p>${l.sent} of ${l.scheduled} requests at ${l.targetRps}/s for ${l.durationMs} ms (open loop; latency from the scheduled send time): ` +
      `p50 ${l.p50Ms.toFixed(1)} ms, p95 ${l.p95Ms.toFixed(1)} ms, p99 ${l.p99Ms.toFixed(1)} ms, max ${l.maxMs.toFixed(1)} ms; ` +
      `${l.achievedRps.toFixed(1)} successful requests/s; error rate ${(l.errorRate * 100).toFixed(2)}%.</p>`);
    parts.push(latencyHeatmapSvg(l.samples, l.durationMs));
    if (l.errorMessages.length > 0) parts.push(`<ul>${l.errorMessages.map((m) => `<li>${esc(m)}</li>`).join('')}</ul>`);
  }
  for (const d of s.distributions ?? []) {
    if (d.kind === 'score') {
      parts.push(`<p>${esc(d.output)}: KS ${d.ks.statistic.toFixed(3)} (p = ${d.ks.pValue.toExponential(2)}), PSI ${d.psi.toFixed(3)}; ${d.observed.length} predictions, ${d.baseline.length} baseline values.</p>`);
      parts.push(scoreHistogramSvg(d));
    } else {
      parts.push(`<p>${esc(d.output)}: chi-square ${d.chiSquare.statistic.toFixed(2)} (df ${d.chiSquare.degreesOfFreedom}, p = ${d.chiSquare.pValue.toExponential(2)}).</p>`);
      parts.push(classBarsSvg(d));
    }
  }
  parts.push('</section>');
  return parts.join('\n');
}

/** A single self-contained HTML file: inline CSS and SVG, no scripts, no external assets. */
export function renderHtml(report: Report): string {
  const title = `skein test: ${report.model}`;
  const verdict = report.passed ? '<span class="passed">passed</span>' : '<span class="failed">failed</span>';
  return [
    '<!doctype html>',
    `<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head><body>`,
    `<h1>${esc(title)}: ${verdict}</h1>`,
    `<p>Endpoint ${esc(report.endpoint)}, model ${esc(report.model)}${report.version ? ` version ${esc(report.version)}` : ''}, started ${esc(report.startedAt)}, ${(report.durationMs / 1000).toFixed(1)} s.</p>`,
    '<table><tr><th>suite</th><th>result</th></tr>',
    ...report.suites.map((s) => `<tr><td><a href="#${esc(s.name)}">${esc(s.name)}</a></td><td class="${s.status}">${s.status}${s.reason ? `: ${esc(s.reason)}` : ''}</td></tr>`),
    '</table>',
    ...report.suites.map((s) => suiteSection(s).replace('<section>', `<section id="${esc(s.name)}">`)),
    '</body></html>',
    '',
  ].join('\n');
}
