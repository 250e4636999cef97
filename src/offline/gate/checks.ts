import { ksTwoSample, psi } from '../../testkit/index.js';
import type { CheckResult, GateConfig, GateReport, GateSnapshot } from './types.js';

const MAX_LISTED = 10;

/** rows in = rows written + rows rejected, and the store holds exactly the rows it counted. */
export function checkCompleteness(s: GateSnapshot): CheckResult {
  const details = { rowsIn: s.rowsIn, rowsWritten: s.rowCount, rowsRejected: s.rejectedCount, rowsScanned: s.rowsScanned };
  if (s.rowsScanned !== s.rowCount) {
    return { check: 'completeness', status: 'failed', summary: `the store holds ${s.rowsScanned} rows but counted ${s.rowCount} written`, details };
  }
  if (s.rowsIn === undefined) {
    return { check: 'completeness', status: 'skipped', summary: `rows in unknown (pass --rows-in); ${s.rowCount} written + ${s.rejectedCount} rejected`, details };
  }
  const ok = s.rowsIn === s.rowCount + s.rejectedCount;
  const summary = `rows in ${s.rowsIn} ${ok ? '=' : '≠'} written ${s.rowCount} + rejected ${s.rejectedCount}` +
    (ok ? '' : ` (${s.rowsIn - s.rowCount - s.rejectedCount} missing)`);
  return { check: 'completeness', status: ok ? 'passed' : 'failed', summary, details };
}

/** No NaN or infinity in any numeric output. */
export function checkFinite(s: GateSnapshot): CheckResult {
  const bad = Object.entries(s.outputs).filter(([, o]) => o.nonFinite > 0).map(([output, o]) => ({ output, nonFinite: o.nonFinite, values: o.values }));
  const details = { nonFinite: Object.fromEntries(Object.entries(s.outputs).map(([k, o]) => [k, o.nonFinite])) };
  if (bad.length === 0) return { check: 'finite', status: 'passed', summary: 'no NaN or infinite values', details };
  const summary = bad.map((b) => `${b.nonFinite} of ${b.values} values of ${b.output} are NaN or infinite`).join('; ');
  return { check: 'finite', status: 'failed', summary, details };
}

/** Every finite value of a ranged output lies in its declared [min, max]. */
export function checkRange(s: GateSnapshot, config: GateConfig): CheckResult {
  if (config.ranges.length === 0) return { check: 'range', status: 'skipped', summary: 'no --range declared', details: {} };
  const rules = config.ranges.map((rule, r) => {
    const o = s.outputs[rule.output];
    if (!o) return { ...rule, missing: true, below: 0, above: 0 };
    return { ...rule, missing: false, below: o.below[r] ?? 0, above: o.above[r] ?? 0, observedMin: o.min, observedMax: o.max };
  });
  const failed = rules.filter((r) => r.missing || r.below + r.above > 0);
  const details = { rules };
  if (failed.length === 0) {
    return { check: 'range', status: 'passed', summary: rules.map((r) => `${r.output} within [${r.min}, ${r.max}]`).join('; '), details };
  }
  const summary = failed.map((r) => (r.missing
    ? `${r.output} is not an output of the run`
    : `${r.below + r.above} values of ${r.output} outside [${r.min}, ${r.max}] (${r.below} below, ${r.above} above)`)).join('; ');
  return { check: 'range', status: 'failed', summary, details };
}

/** Each output's distribution against the baseline: PSI and the KS statistic under their bounds. */
export function checkDrift(s: GateSnapshot, config: GateConfig): CheckResult {
  if (!s.baseline) return { check: 'drift', status: 'skipped', summary: `no baseline${s.noBaselineReason ? ` (${s.noBaselineReason})` : ''}`, details: {} };
  const outputs = Object.entries(s.outputs)
    .filter(([name, o]) => o.sample.length > 0 && (s.baseline!.samples[name]?.length ?? 0) > 0)
    .map(([name, o]) => {
      const base = s.baseline!.samples[name]!;
      const ks = ksTwoSample(base, o.sample);
      const p = psi(base, o.sample, config.psiBins);
      return { output: name, psi: p, ks: ks.statistic, ksPValue: ks.pValue, drifted: p > config.maxPsi || ks.statistic > config.maxKs };
    });
  const details = { baseline: s.baseline.source, maxPsi: config.maxPsi, maxKs: config.maxKs, outputs };
  if (outputs.length === 0) return { check: 'drift', status: 'skipped', summary: `no output in common with the baseline (${s.baseline.source})`, details };
  const drifted = outputs.filter((o) => o.drifted);
  const line = (o: (typeof outputs)[number]) => `${o.output} PSI ${o.psi.toFixed(4)} KS ${o.ks.toFixed(4)}`;
  const summary = drifted.length === 0
    ? `vs ${s.baseline.source}: ${outputs.map(line).join('; ')}`
    : `vs ${s.baseline.source}: ${drifted.map(line).join('; ')} (bounds PSI ${config.maxPsi}, KS ${config.maxKs})`;
  return { check: 'drift', status: drifted.length === 0 ? 'passed' : 'failed', summary, details };
}

function goldenMismatch(actual: unknown, expected: number | number[], tolerance: number): string | undefined {
  const want = Array.isArray(expected) ? expected : [expected];
  if (!Array.isArray(actual)) return 'output missing';
  if (actual.length !== want.length) return `${actual.length} values, expected ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const a = actual[i];
    if (typeof a !== 'number' || !(Math.abs(a - want[i]!) <= tolerance)) return `element ${i} is ${typeof a === 'number' ? a : 'not a number'}, expected ${want[i]} ± ${tolerance}`;
  }
  return undefined;
}

/** Golden keys hold their expected values within tolerance. */
export function checkGolden(s: GateSnapshot, config: GateConfig): CheckResult {
  if (config.golden.length === 0) return { check: 'golden', status: 'skipped', summary: 'no --golden file', details: {} };
  const mismatches = [];
  for (const g of config.golden) {
    const value = s.golden[g.key];
    const why = value === undefined ? 'key not in the run' : goldenMismatch(value[g.output], g.value, g.tolerance);
    if (why) mismatches.push({ key: g.key, output: g.output, reason: why });
  }
  const details = { checked: config.golden.length, mismatched: mismatches.length, first: mismatches.slice(0, MAX_LISTED) };
  if (mismatches.length === 0) return { check: 'golden', status: 'passed', summary: `${config.golden.length} golden values match`, details };
  return { check: 'golden', status: 'failed', summary: `${mismatches.length} of ${config.golden.length} golden values differ`, details };
}

/** Runs every check; the gate passes when none failed (skipped checks do not fail it). */
export function evaluateGate(s: GateSnapshot, config: GateConfig, checkedAt: string): GateReport {
  const checks = [checkCompleteness(s), checkFinite(s), checkRange(s, config), checkDrift(s, config), checkGolden(s, config)];
  return { passed: checks.every((c) => c.status !== 'failed'), checkedAt, checks };
}
