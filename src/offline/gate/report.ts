import type { GateReport } from './types.js';

const MARK = { passed: 'PASS', failed: 'FAIL', skipped: 'SKIP' } as const;

/** The gate report for a terminal or a log: one line per check, failing golden keys listed. */
export function formatGateReport(report: GateReport, set: string, runId: string): string {
  const lines = [`validation gate: ${report.passed ? 'PASSED' : 'FAILED'} (set ${set}, run ${runId})`];
  for (const c of report.checks) {
    lines.push(`  ${MARK[c.status]}  ${c.check.padEnd(12)} ${c.summary}`);
    if (c.check === 'golden' && c.status === 'failed') {
      const first = (c.details.first ?? []) as { key: string; output: string; reason: string }[];
      for (const m of first) lines.push(`          key ${JSON.stringify(m.key)} ${m.output}: ${m.reason}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
