import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { accumulate, createAccumulator } from './accumulate.js';
import { evaluateGate } from './checks.js';
import { parseRange } from './files.js';
import { DEFAULT_GATE } from './types.js';
import type { GateConfig, GateSnapshot } from './types.js';

const config = (over: Partial<GateConfig> = {}): GateConfig => ({ ...DEFAULT_GATE, ranges: [], golden: [], ...over });

/** A snapshot of `values` (one per key k0…), as the runner would build it. */
function snapshot(values: number[], c: GateConfig, over: Partial<GateSnapshot> = {}): GateSnapshot {
  const acc = createAccumulator();
  const golden = new Set(c.golden.map((g) => g.key));
  values.forEach((v, i) => accumulate(acc, { key: `k${i}`, value: { p: [v] } }, c, golden));
  return { rowsIn: values.length, rowCount: values.length, rejectedCount: 0, rowsScanned: acc.rowsScanned, outputs: acc.outputs, golden: acc.golden, baseline: undefined, ...over };
}

const statusOf = (s: GateSnapshot, c: GateConfig) => Object.fromEntries(evaluateGate(s, c, 't').checks.map((x) => [x.check, x.status]));
const spread = Array.from({ length: 500 }, (_, i) => (i + 0.5) / 500);

describe('validation gate checks', () => {
  test('a clean run passes; checks without inputs are skipped, not failed', () => {
    const c = config();
    const report = evaluateGate(snapshot(spread, c), c, '2025-01-01T00:00:00Z');
    assert.equal(report.passed, true);
    assert.deepEqual(statusOf(snapshot(spread, c), c), { completeness: 'passed', finite: 'passed', range: 'skipped', drift: 'skipped', golden: 'skipped' });
  });

  test('completeness fails when rows in ≠ written + rejected (one short) and passes at equality', () => {
    const c = config();
    assert.equal(statusOf(snapshot(spread, c, { rowsIn: 501 }), c).completeness, 'failed');
    assert.equal(statusOf(snapshot(spread, c, { rowsIn: 501, rejectedCount: 1 }), c).completeness, 'passed');
    assert.equal(statusOf(snapshot(spread, c, { rowsIn: undefined }), c).completeness, 'skipped');
    assert.equal(statusOf(snapshot(spread, c, { rowsIn: undefined, rowCount: 499 }), c).completeness, 'failed');
  });

  test('NaN, infinity and null (how JSON stores NaN) fail only the finite check', () => {
    const c = config({ ranges: [parseRange('p:0:1')] });
    const s = snapshot([...spread, NaN, Infinity], c);
    const acc = createAccumulator();
    accumulate(acc, { key: 'n', value: { p: [null as unknown as number] } }, c, new Set());
    assert.equal(acc.outputs.p!.nonFinite, 1);
    assert.deepEqual(statusOf(s, c), { completeness: 'passed', finite: 'failed', range: 'passed', drift: 'skipped', golden: 'skipped' });
  });

  test('range holds at the bounds and fails one past them', () => {
    const c = config({ ranges: [parseRange('p:0:1')] });
    assert.equal(statusOf(snapshot([0, 1], c), c).range, 'passed');
    assert.equal(statusOf(snapshot([0, 1.0001], c), c).range, 'failed');
    assert.equal(statusOf(snapshot([-0.0001, 1], c), c).range, 'failed');
    const missing = config({ ranges: [parseRange('q:0:1')] });
    assert.equal(statusOf(snapshot([0.5], missing), missing).range, 'failed');
    assert.throws(() => parseRange('p:1:0'), { code: 'INVALID_CONFIG' });
    assert.deepEqual(parseRange('ns:score:-1:1'), { output: 'ns:score', min: -1, max: 1 });
  });

  test('drift fails on a shifted distribution and passes on the same one', () => {
    const c = config();
    const same = snapshot(spread, c, { baseline: { source: 'ref', samples: { p: spread } } });
    assert.equal(statusOf(same, c).drift, 'passed');
    const shifted = snapshot(spread, c, { baseline: { source: 'ref', samples: { p: spread.map((v) => v * 0.5) } } });
    const report = evaluateGate(shifted, c, 't');
    assert.deepEqual(statusOf(shifted, c), { completeness: 'passed', finite: 'passed', range: 'skipped', drift: 'failed', golden: 'skipped' });
    const d = report.checks.find((x) => x.check === 'drift')!.details as { outputs: { psi: number; ks: number }[] };
    assert.ok(d.outputs[0]!.psi > c.maxPsi && d.outputs[0]!.ks > c.maxKs);
  });

  test('golden values pass within tolerance and fail past it or when the key is missing', () => {
    const golden = [{ key: 'k0', output: 'p', value: spread[0]!, tolerance: 0.001 }];
    const ok = config({ golden });
    assert.equal(statusOf(snapshot(spread, ok), ok).golden, 'passed');
    const off = config({ golden: [{ key: 'k0', output: 'p', value: spread[0]! + 0.0011, tolerance: 0.001 }] });
    assert.equal(statusOf(snapshot(spread, off), off).golden, 'failed');
    const gone = config({ golden: [{ key: 'nope', output: 'p', value: 0, tolerance: 1 }] });
    const report = evaluateGate(snapshot(spread, gone), gone, 't');
    assert.equal(report.passed, false);
    assert.deepEqual(report.checks.find((x) => x.check === 'golden')!.details.first, [{ key: 'nope', output: 'p', reason: 'key not in the run' }]);
  });
});
