import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Report } from '../types.js';
import { renderHtml } from './html.js';
import { escapeXml, renderJunit } from './junit.js';
import { renderTerminal } from './terminal.js';

const report: Report = {
  endpoint: 'http://localhost:8000', model: 'm<&>', startedAt: '2026-01-01T00:00:00.000Z', durationMs: 1500, passed: false,
  suites: [
    { name: 'protocol', status: 'passed', cases: [{ name: 'live', status: 'passed', durationMs: 3 }], durationMs: 3 },
    { name: 'functional', status: 'failed', durationMs: 5, cases: [{ name: 'row "1"', status: 'failed', message: 'expected 1 ± 0.1, got <2>', durationMs: 5 }] },
    { name: 'statistical', status: 'skipped', reason: 'no data', cases: [], durationMs: 0 },
    {
      name: 'load', status: 'passed', durationMs: 1000, cases: [{ name: 'p99', status: 'passed', durationMs: 0 }],
      load: {
        targetRps: 2, durationMs: 1000, scheduled: 2, sent: 2, ok: 1, errors: 1, dropped: 0, errorRate: 0.5, achievedRps: 1,
        p50Ms: 1, p95Ms: 2, p99Ms: 2, maxMs: 2, errorMessages: ['HTTP 500'],
        samples: [{ scheduledAtMs: 0, latencyMs: 1, ok: true }, { scheduledAtMs: 500, latencyMs: 2, ok: false }],
      },
    },
    {
      name: 'e2e', status: 'passed', durationMs: 1, cases: [{ name: 'x', status: 'passed', durationMs: 1 }],
      distributions: [
        { kind: 'score', output: 'p', baseline: [0.1, 0.2], observed: [0.1, 0.3], ks: { statistic: 0.5, pValue: 0.9 }, psi: 0.1 },
        { kind: 'class', output: 'c', baseline: { a: 0.5, b: 0.5 }, observed: { a: 3, b: 1 }, chiSquare: { statistic: 1, degreesOfFreedom: 1, pValue: 0.3 } },
      ],
    },
  ],
};

describe('reports', () => {
  test('XML escaping covers the five specials and drops characters XML forbids', () => {
    assert.equal(escapeXml(`<a href="x">'&'\u0001</a>`), '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });

  test('JUnit has one testsuite per suite, counts failures and skips, and a whole skipped suite as one skipped case', () => {
    const xml = renderJunit(report);
    assert.match(xml, /<testsuites name="skein test m&lt;&amp;&gt;" tests="5" failures="1" errors="0" skipped="1"/);
    assert.equal((xml.match(/<testsuite /g) ?? []).length, 5);
    assert.match(xml, /<failure message="expected 1 ± 0.1, got &lt;2&gt;">/);
    assert.match(xml, /<testcase classname="skein.statistical" name="suite" time="0.000">\n\s+<skipped message="no data"\/>/);
  });

  test('the terminal summary names each failed case and skipped suite, and the verdict', () => {
    const text = renderTerminal(report, { color: false });
    assert.match(text, /✘ functional +0 passed, 1 failed/);
    assert.match(text, /✘ row "1": expected 1 ± 0.1, got <2>/);
    assert.match(text, /- statistical +skipped: no data/);
    assert.match(text, /FAILED: 1 suite failed/);
    assert.doesNotMatch(text, /\x1b\[/);
    assert.match(renderTerminal(report, { color: true }), /\x1b\[31m/);
  });

  test('the HTML report is self-contained, escapes names, and holds a latency chart and one chart per compared output', () => {
    const html = renderHtml(report);
    assert.equal((html.match(/<svg /g) ?? []).length, 3);
    assert.doesNotMatch(html, /<script|<link|src=|href="http|url\(/);
    assert.match(html, /m&lt;&amp;&gt;/);
    assert.doesNotMatch(html, /m<&>/);
  });
});
