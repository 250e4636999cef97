import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chiSquareSurvival, lnGamma, normalCdf, normalQuantile, studentTCdf, studentTQuantile } from '../stats/index.js';
import { compareMeans, compareProportions, sampleRatioMismatch } from './stats.js';

/**
 * Expected values are either closed forms written out here (Cauchy for t with 1 df, the 2-df t,
 * the even-df χ² survival) or published reference values (normal and t tables, scipy.stats).
 */
function near(actual: number | null | undefined, expected: number, relative = 1e-9, message?: string): void {
  assert.ok(typeof actual === 'number', message ?? `expected a number near ${expected}, got ${actual}`);
  const tolerance = relative * Math.max(Math.abs(expected), Number.MIN_VALUE);
  assert.ok(Math.abs(actual - expected) <= tolerance, message ?? `${actual} is not within ${relative} (relative) of ${expected}`);
}

describe('distributions', () => {
  test('lnGamma matches ln((n−1)!) and ln √π', () => {
    near(lnGamma(5), Math.log(24), 1e-14);
    near(lnGamma(11), Math.log(3628800), 1e-14);
    near(lnGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-14);
  });

  test('normalCdf matches the normal table', () => {
    near(normalCdf(1.96), 0.9750021048517795, 1e-12);
    near(normalCdf(0), 0.5, 1e-15);
    near(normalCdf(-1), 0.15865525393145707, 1e-12);
    near(normalCdf(-4), 3.167124183311986e-5, 1e-12);
    // Far tail: relative accuracy holds, the value does not underflow to 0 early.
    near(normalCdf(-10), 7.61985302416047e-24, 1e-10);
    assert.equal(normalCdf(-Infinity), 0);
    assert.equal(normalCdf(Infinity), 1);
  });

  test('normalQuantile inverts normalCdf to about 1e-15, tails included', () => {
    near(normalQuantile(0.975), 1.959963984540054, 1e-13);
    near(normalQuantile(0.995), 2.5758293035489004, 1e-13);
    near(normalQuantile(0.01), -2.3263478740408408, 1e-13);
    near(normalQuantile(1e-8), -5.612001244174789, 1e-13);
    near(normalQuantile(1e-300), -37.0470962993612, 1e-13);
    assert.equal(normalQuantile(0.5), 0);
    assert.deepEqual([normalQuantile(0), normalQuantile(1)], [-Infinity, Infinity]);
    // The region boundary of Acklam's approximation, p = 0.02425, from both sides.
    for (const p of [0.02424, 0.02425, 0.02426, 0.97575]) near(normalCdf(normalQuantile(p)), p, 1e-12, `round trip at ${p}`);
    assert.throws(() => normalQuantile(1.5), RangeError);
  });

  test('studentTCdf matches the t table and the closed forms for 1 and 2 degrees of freedom', () => {
    near(studentTCdf(2.0, 10), 0.9633059826146299, 1e-12);
    near(studentTCdf(-2.0, 10), 1 - 0.9633059826146299, 1e-11);
    // 1 df is Cauchy: F(t) = ½ + atan(t)/π.
    for (const t of [-30, -1, 0.5, 3]) near(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-12, `df 1, t ${t}`);
    // 2 df: F(t) = ½ + t / (2 √(2 + t²)).
    for (const t of [-4, 0.25, 2.5]) near(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), 1e-12, `df 2, t ${t}`);
    assert.equal(studentTCdf(0, 7.3), 0.5);
    // A large df is nearly normal: the first correction is φ(t)(t³ + t)/(4 df).
    const t = 1.96;
    const phi = Math.exp(-(t * t) / 2) / Math.sqrt(2 * Math.PI);
    near(studentTCdf(-t, 1e6), normalCdf(-t) + (phi * (t ** 3 + t)) / (4 * 1e6), 1e-9);
  });

  test('studentTQuantile matches the t table and inverts studentTCdf', () => {
    near(studentTQuantile(0.975, 10), 2.228138851986274, 1e-12);
    // 1 df: F⁻¹(p) = tan(π (p − ½)); 2 df: F⁻¹(p) = (2p − 1) / √(2 p (1 − p)).
    near(studentTQuantile(0.975, 1), Math.tan(Math.PI * 0.475), 1e-12);
    near(studentTQuantile(0.975, 2), 0.95 / Math.sqrt(2 * 0.975 * 0.025), 1e-12);
    near(studentTQuantile(0.025, 2), -0.95 / Math.sqrt(2 * 0.975 * 0.025), 1e-12);
    for (const df of [0.7, 5.882352941176471, 1e4]) near(studentTCdf(studentTQuantile(0.995, df), df), 0.995, 1e-12, `round trip at df ${df}`);
  });

  test('chiSquareSurvival matches the χ² table and the even-df closed form', () => {
    near(chiSquareSurvival(3.841458820694124, 1), 0.05, 1e-12);
    // Even df = 2k: Q = e^(−x/2) Σ_{j<k} (x/2)^j / j!; df 4, x 10 → e^(−5) (1 + 5) ≈ 0.040428.
    near(chiSquareSurvival(10, 4), Math.exp(-5) * (1 + 5), 1e-12);
    near(chiSquareSurvival(10, 4), 0.040428, 1e-5);
    near(chiSquareSurvival(3, 6), Math.exp(-1.5) * (1 + 1.5 + 1.5 ** 2 / 2), 1e-12);
    // 1 df: Q(x) = 2 (1 − Φ(√x)).
    near(chiSquareSurvival(16, 1), 2 * normalCdf(-4), 1e-12);
    assert.equal(chiSquareSurvival(0, 3), 1);
  });
});

describe('compareProportions', () => {
  test('control 1000/100 against treatment 1000/130: z ≈ 2.10, p ≈ 0.036', () => {
    const r = compareProportions({ n: 1000, successes: 100 }, { n: 1000, successes: 130 });
    // Pooled rate 230/2000 = 0.115; SE₀ = √(0.115 · 0.885 · (1/1000 + 1/1000)) = √0.00020355.
    const z = 0.03 / Math.sqrt(0.115 * 0.885 * 0.002);
    near(r.z, z, 1e-12);
    near(r.z, 2.1027, 1e-4);
    // Two-sided p = 2 (1 − Φ(z)).
    near(r.pValue, 2 * (1 - normalCdf(z)), 1e-9);
    near(r.pValue, 0.03549, 1e-3);
    // Unpooled SE = √(0.1 · 0.9 / 1000 + 0.13 · 0.87 / 1000) = √0.0002031; interval 0.03 ± 1.959964 · SE.
    const half = 1.959963984540054 * Math.sqrt((0.1 * 0.9 + 0.13 * 0.87) / 1000);
    assert.ok(r.ci !== null);
    near(r.ci[0], 0.03 - half, 1e-12);
    near(r.ci[1], 0.03 + half, 1e-12);
    near(r.controlRate, 0.1, 1e-15);
    near(r.treatmentRate, 0.13, 1e-15);
    near(r.difference, 0.03, 1e-12);
    near(r.relativeLift, 0.3, 1e-12);
  });

  test('a narrower confidence gives a narrower interval (90%: z = 1.644854)', () => {
    const r = compareProportions({ n: 1000, successes: 100 }, { n: 1000, successes: 130 }, 0.9);
    const half = 1.6448536269514722 * Math.sqrt((0.1 * 0.9 + 0.13 * 0.87) / 1000);
    near(r.ci?.[1], 0.03 + half, 1e-12);
  });

  test('an arm without exposures gives nulls, never NaN', () => {
    assert.deepEqual(compareProportions({ n: 0, successes: 0 }, { n: 10, successes: 3 }), {
      controlRate: null, treatmentRate: 0.3, difference: null, relativeLift: null, ci: null, z: null, pValue: null,
    });
  });

  test('both rates 0: the difference is 0 and the test is undefined (null), the lift too', () => {
    const r = compareProportions({ n: 100, successes: 0 }, { n: 100, successes: 0 });
    assert.deepEqual([r.difference, r.relativeLift, r.z, r.pValue, r.ci], [0, null, null, null, [0, 0]]);
  });

  test('rejects impossible counts', () => {
    assert.throws(() => compareProportions({ n: 10, successes: 11 }, { n: 10, successes: 1 }), RangeError);
    assert.throws(() => compareProportions({ n: -1, successes: 0 }, { n: 10, successes: 1 }), RangeError);
    assert.throws(() => compareProportions({ n: 10, successes: 1 }, { n: 10, successes: 1 }, 1), RangeError);
  });
});

describe('compareMeans', () => {
  test('Welch with equal variances and n: values 1,3 against 4,6 (df 2, closed form)', () => {
    // control: sum 4, sumSq 10 → mean 2, s² = (10 − 16/2)/1 = 2; treatment: sum 10, sumSq 52 → mean 5, s² = (52 − 50)/1 = 2.
    const r = compareMeans({ n: 2, sum: 4, sumSq: 10 }, { n: 2, sum: 10, sumSq: 52 });
    // SE = √(2/2 + 2/2) = √2; t = 3/√2; df = (1 + 1)² / (1/1 + 1/1) = 2.
    const t = 3 / Math.SQRT2;
    near(r.t, t, 1e-12);
    near(r.df, 2, 1e-12);
    // 2 df: two-sided p = 1 − t/√(2 + t²) = 1 − 2.1213/2.5495 ≈ 0.16795.
    near(r.pValue, 1 - t / Math.sqrt(2 + t * t), 1e-10);
    const q = 0.95 / Math.sqrt(2 * 0.975 * 0.025); // t_{2, 0.975} = 4.302653
    near(r.ci?.[0], 3 - q * Math.SQRT2, 1e-10);
    near(r.ci?.[1], 3 + q * Math.SQRT2, 1e-10);
    assert.deepEqual([r.controlMean, r.treatmentMean, r.difference, r.relativeLift], [2, 5, 3, 1.5]);
  });

  test('Welch with unequal variances: 1..5 against 2,4,..,10 matches scipy.stats.ttest_ind(equal_var=False)', () => {
    // control: mean 3, s² 2.5; treatment: mean 6, s² 10. SE = √(0.5 + 2) = √2.5.
    const r = compareMeans({ n: 5, sum: 15, sumSq: 55 }, { n: 5, sum: 30, sumSq: 220 });
    near(r.t, 3 / Math.sqrt(2.5), 1e-12);
    // df = 2.5² / (0.5²/4 + 2²/4) = 6.25 / 1.0625.
    near(r.df, 6.25 / 1.0625, 1e-12);
    near(r.pValue, 0.10753119493062728, 1e-10);
    near(r.ci?.[1], 3 + 2.458823709699146 * Math.sqrt(2.5), 1e-10);
  });

  test('revenue per exposure: 1000 exposures each, mostly zeros', () => {
    // control: 100 buyers of 10 → sum 1000, sumSq 10000; treatment: 130 buyers of 10 → sum 1300, sumSq 13000.
    const r = compareMeans({ n: 1000, sum: 1000, sumSq: 10000 }, { n: 1000, sum: 1300, sumSq: 13000 });
    // s²_c = (10000 − 1000)/999, s²_t = (13000 − 1690)/999; SE = √((s²_c + s²_t)/1000).
    const vc = 9000 / 999 / 1000;
    const vt = 11310 / 999 / 1000;
    near(r.t, 0.3 / Math.sqrt(vc + vt), 1e-12);
    near(r.df, (vc + vt) ** 2 / ((vc * vc) / 999 + (vt * vt) / 999), 1e-12);
    // The proportions example's data as revenue: t ≈ 2.1040 with df ≈ 1972.48, p ≈ 0.035503 (scipy).
    near(r.t, 2.1040159953562423, 1e-12);
    near(r.pValue, 0.03550333505785883, 1e-9);
  });

  test('fewer than 2 exposures in an arm, or no variance at all, leave the test null', () => {
    const one = compareMeans({ n: 1, sum: 5, sumSq: 25 }, { n: 10, sum: 50, sumSq: 300 });
    assert.deepEqual([one.controlMean, one.difference, one.t, one.df, one.pValue, one.ci], [5, 0, null, null, null, null]);
    const flat = compareMeans({ n: 3, sum: 3, sumSq: 3 }, { n: 3, sum: 3, sumSq: 3 });
    assert.deepEqual([flat.difference, flat.t, flat.pValue], [0, null, null]);
    const empty = compareMeans({ n: 0, sum: 0, sumSq: 0 }, { n: 3, sum: 3, sumSq: 3 });
    assert.deepEqual([empty.controlMean, empty.treatmentMean, empty.relativeLift], [null, 1, null]);
  });
});

describe('sampleRatioMismatch', () => {
  test('an exact 50/50 split is no mismatch', () => {
    assert.deepEqual(sampleRatioMismatch([5000, 5000], [1, 1]), { expected: [5000, 5000], chiSquare: 0, df: 1, pValue: 1, mismatch: false });
  });

  test('5200 / 4800 against 50/50 is a mismatch, p ≈ 6.3e-5', () => {
    const r = sampleRatioMismatch([5200, 4800], [1, 1]);
    // χ² = 200²/5000 + 200²/5000 = 16; p = Q(½, 8) = 2 (1 − Φ(4)).
    assert.equal(r.chiSquare, 16);
    near(r.pValue, 2 * normalCdf(-4), 1e-12);
    near(r.pValue, 6.334e-5, 1e-3);
    assert.equal(r.mismatch, true);
  });

  test('weights need not sum to 1; small deviations pass', () => {
    // 90/10 split of 1000: expected 900 and 100; χ² = 10²/900 + 10²/100 = 1.1111.
    const r = sampleRatioMismatch([910, 90], [9, 1]);
    assert.deepEqual(r.expected, [900, 100]);
    near(r.chiSquare, 100 / 900 + 1, 1e-12);
    near(r.pValue, chiSquareSurvival(100 / 900 + 1, 1), 1e-15);
    assert.equal(r.mismatch, false);
  });

  test('three arms have 2 degrees of freedom (p = e^(−χ²/2))', () => {
    const r = sampleRatioMismatch([1100, 1000, 900], [1, 1, 1]);
    // χ² = (100² + 0 + 100²)/1000 = 20; 2 df: Q = e^(−10).
    assert.equal(r.df, 2);
    near(r.pValue, Math.exp(-10), 1e-12);
    assert.equal(r.mismatch, true);
  });

  test('the mismatch flag is decided against alpha', () => {
    const r = sampleRatioMismatch([5100, 4900], [1, 1], 0.01);
    // χ² = 2 · 100²/5000 = 4, p = 2 (1 − Φ(2)) ≈ 0.0455: above 0.01.
    near(r.pValue, 2 * normalCdf(-2), 1e-12);
    assert.equal(r.mismatch, false);
    assert.equal(sampleRatioMismatch([5100, 4900], [1, 1], 0.05).mismatch, true);
  });

  test('exposures in an arm of weight 0 are a mismatch; no exposures at all are none', () => {
    const zero = sampleRatioMismatch([10, 0, 1], [1, 1, 0]);
    assert.deepEqual([zero.chiSquare, zero.pValue, zero.mismatch], [Infinity, 0, true]);
    assert.deepEqual(sampleRatioMismatch([0, 0], [1, 1]), { expected: [0, 0], chiSquare: 0, df: 1, pValue: 1, mismatch: false });
    assert.throws(() => sampleRatioMismatch([1, 2], [1]), RangeError);
  });
});
