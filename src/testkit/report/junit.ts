import type { CaseResult, Report } from '../types.js';

export function escapeXml(text: string): string {
  // Characters XML 1.0 forbids outright are dropped; the five specials are escaped.
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

function testcase(suite: string, c: CaseResult): string {
  const open = `    <testcase classname="skein.${escapeXml(suite)}" name="${escapeXml(c.name)}" time="${seconds(c.durationMs)}"`;
  if (c.status === 'passed') return `${open}/>`;
  const message = escapeXml(c.message ?? '');
  const inner = c.status === 'failed' ? `<failure message="${message}">${message}</failure>` : `<skipped message="${message}"/>`;
  return `${open}>\n      ${inner}\n    </testcase>`;
}

/** JUnit XML as CI systems (GitHub, GitLab, Jenkins) read it: one testsuite per kit suite. */
export function renderJunit(report: Report): string {
  const all = report.suites.flatMap((s) => (s.cases.length > 0 ? s.cases : [{ name: 'suite', status: s.status, message: s.reason ?? '', durationMs: 0 } as CaseResult]));
  const count = (cases: CaseResult[], status: string) => cases.filter((c) => c.status === status).length;
  const suites = report.suites.map((s) => {
    const cases = s.cases.length > 0 ? s.cases : [{ name: 'suite', status: s.status, message: s.reason ?? '', durationMs: 0 } as CaseResult];
    return [
      `  <testsuite name="${escapeXml(s.name)}" tests="${cases.length}" failures="${count(cases, 'failed')}" errors="0" skipped="${count(cases, 'skipped')}" time="${seconds(s.durationMs)}" timestamp="${report.startedAt}">`,
      ...cases.map((c) => testcase(s.name, c)),
      '  </testsuite>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeXml(`skein test ${report.model}`)}" tests="${all.length}" failures="${count(all, 'failed')}" errors="0" skipped="${count(all, 'skipped')}" time="${seconds(report.durationMs)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
