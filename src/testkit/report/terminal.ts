import type { Report, SuiteResult } from '../types.js';

export interface TerminalOptions {
  color: boolean;
}

const MARK = { passed: '✔', failed: '✘', skipped: '-' } as const;
const COLOR = { passed: 32, failed: 31, skipped: 33 } as const;

function counts(suite: SuiteResult): string {
  const of = (s: string) => suite.cases.filter((c) => c.status === s).length;
  const parts = [`${of('passed')} passed`];
  if (of('failed') > 0) parts.push(`${of('failed')} failed`);
  if (of('skipped') > 0) parts.push(`${of('skipped')} skipped`);
  return parts.join(', ');
}

/** The summary printed at the end of `skein test`: one line per suite, failures spelled out. */
export function renderTerminal(report: Report, options: TerminalOptions): string {
  const paint = (status: keyof typeof COLOR, text: string): string => (options.color ? `\x1b[${COLOR[status]}m${text}\x1b[0m` : text);
  const lines = [`skein test: ${report.endpoint}, model ${report.model}${report.version ? ` version ${report.version}` : ''}`];
  for (const suite of report.suites) {
    const head = `  ${paint(suite.status, MARK[suite.status])} ${suite.name.padEnd(12)}`;
    if (suite.status === 'skipped') {
      lines.push(`${head} skipped: ${suite.reason ?? 'nothing to run'}`);
      continue;
    }
    lines.push(`${head} ${counts(suite)} (${(suite.durationMs / 1000).toFixed(1)} s)`);
    for (const c of suite.cases) {
      if (c.status === 'failed') lines.push(`      ${paint('failed', MARK.failed)} ${c.name}: ${c.message ?? ''}`);
      else if (c.status === 'skipped' && c.message) lines.push(`      ${paint('skipped', MARK.skipped)} ${c.name}: ${c.message}`);
    }
    const l = suite.load;
    if (l) {
      lines.push(`      ${l.sent} of ${l.scheduled} requests sent at ${l.targetRps}/s for ${l.durationMs} ms: ` +
        `p50 ${l.p50Ms.toFixed(1)} ms, p95 ${l.p95Ms.toFixed(1)} ms, p99 ${l.p99Ms.toFixed(1)} ms, max ${l.maxMs.toFixed(1)} ms, ` +
        `${l.achievedRps.toFixed(1)} ok/s, errors ${(l.errorRate * 100).toFixed(1)}%`);
    }
  }
  const failed = report.suites.filter((s) => s.status === 'failed').length;
  lines.push(report.passed ? paint('passed', 'PASSED') : paint('failed', `FAILED: ${failed} suite${failed === 1 ? '' : 's'} failed`));
  return `${lines.join('\n')}\n`;
}
