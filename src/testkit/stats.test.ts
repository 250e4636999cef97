import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  binShares, chiSquareSurvival, chiSquareTest, kolmogorovSurvival, ksTwoSample, percentile, psi, psiFromShares, quantileEdges,
} from './stats.js';

const close = (actual: number, expected: number, tolerance: number): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected} ± ${tolerance}, got ${actual}`);

describe('chi-square', () => {
  test('survival matches the tabulated 5% critical values for 1 and 10 degrees of freedom', () => {
    close(chiSquareSurvival(3.841458820694124, 1), 0.05, 1e-9);
    close(chiSquareSurvival(18.307038053275146, 10), 0.05, 1e-9);
    close(chiSquareSurvival(6.634896601021214, 1), 0.01, 1e-9);
  });

  test('survival with 2 degrees of freedom is exp(-x/2)', () => {
    close(chiSquareSurvival(2, 2), Math.exp(-1), 1e-12);
    close(chiSquareSurvival(40, 2), Math.exp(-20), 1e-15);
  });

  test('survival is 1 at 0 and 0 at infinity', () => {
    assert.equal(chiSquareSurvival(0, 3), 1);
    assert.equal(chiSquareSurvival(Infinity, 3), 0);
  });

  test('60/40 against an even split gives statistic 4 and p 0.0455', () => {
    const r = chiSquareTest({ a: 60, b: 40 }, { a: 0.5, b: 0.5 });
    close(r.statistic, 4, 1e-12);
    assert.equal(r.degreesOfFreedom, 1);
    close(r.pValue, 0.04550026389635857, 1e-9);
  });

  test('counts that match the proportions give p = 1, and baselines may be counts rather than shares', () => {
    const r = chiSquareTest({ a: 30, b: 10 }, { a: 300, b: 100 });
    assert.equal(r.statistic, 0);
    assert.equal(r.pValue, 1);
  });

  test('a class the baseline never saw drives the p-value to about 0', () => {
    const r = chiSquareTest({ a: 50, b: 49, c: 1 }, { a: 0.5, b: 0.5 });
    assert.ok(r.pValue < 1e-6);
    assert.equal(r.degreesOfFreedom, 2);
  });
});

describe('two-sample Kolmogorov–Smirnov', () => {
  test('the Kolmogorov survival function gives the usual 5% and 1% critical values', () => {
    close(kolmogorovSurvival(1.3580986393225505), 0.05, 1e-6);
    close(kolmogorovSurvival(1.6276236115189502), 0.01, 1e-6);
  });

  test('identical samples have distance 0 and p = 1', () => {
    const r = ksTwoSample([1, 2, 3, 4], [4, 3, 2, 1]);
    assert.equal(r.statistic, 0);
    assert.equal(r.pValue, 1);
  });

  test('disjoint samples have distance 1', () => {
    const r = ksTwoSample([1, 2, 3], [4, 5, 6]);
    assert.equal(r.statistic, 1);
  });

  test('half-overlapping samples have distance 0.5, ties counted once', () => {
    assert.equal(ksTwoSample([1, 2, 3, 4], [3, 4, 5, 6]).statistic, 0.5);
  });

  test('a shifted sample of 400 gets a tiny p-value, an unshifted one does not', () => {
    const base = Array.from({ length: 400 }, (_, i) => i / 400);
    assert.ok(ksTwoSample(base, base.map((v) => v + 0.2)).pValue < 1e-6);
    assert.ok(ksTwoSample(base, base.map((v) => v + 0.001)).pValue > 0.5);
  });
});

describe('population stability index', () => {
  test('shares 0.5/0.5 against 0.25/0.75 give 0.2747', () => {
    close(psiFromShares([0.5, 0.5], [0.25, 0.75]), 0.25 * Math.log(2) + 0.25 * Math.log(1.5), 1e-12);
    close(psi([0, 0, 1, 1], [0, 1, 1, 1], 2), 0.2746530721670273, 1e-12);
  });

  test('a sample against itself is 0', () => {
    const v = Array.from({ length: 100 }, (_, i) => Math.sin(i));
    assert.equal(psi(v, v), 0);
  });

  test('an empty bin is floored instead of making the index infinite', () => {
    assert.ok(Number.isFinite(psiFromShares([0.5, 0.5], [0, 1])));
  });

  test('quantile edges are distinct, and bins split at each edge with the edge in the upper bin', () => {
    assert.deepEqual(quantileEdges([0, 0, 0, 0, 1, 2], 3), [0, 1]);
    assert.deepEqual(binShares([-1, 0, 0.5, 1, 5], [0, 1]), [0.2, 0.4, 0.4]);
  });
});

describe('percentile', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  test('nearest rank: p50 of 1..100 is 50, p99 is 99, p100 is 100', () => {
    assert.equal(percentile(values, 50), 50);
    assert.equal(percentile(values, 99), 99);
    assert.equal(percentile(values, 100), 100);
  });
  test('an empty list gives 0', () => assert.equal(percentile([], 99), 0));
});
