import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareToTraining, ksStatistic, psi, resolveThresholds } from './compare.js';
import { kolmogorovSurvival } from '../../stats/index.js';
import { summarize } from './stats.js';
import type { FeatureRow } from './stats.js';

const FEATURES = [
  { name: 'price', kind: 'numeric' },
  { name: 'colour', kind: 'categorical' },
] as const;

/** Row i of a fixed distribution: price spread over [1, 21), colour cycling, 2% colour missing. */
const row = (i: number): FeatureRow => ({
  price: 1 + ((i * 7919) % 2000) / 100,
  colour: i % 50 === 0 ? null : ['red', 'green', 'blue'][i % 3]!,
});
const rows = (n: number, from: number, edit: (r: Record<string, unknown>, i: number) => void = () => {}): FeatureRow[] =>
  Array.from({ length: n }, (_, k) => {
    const r = { ...row(from + k) };
    edit(r, k);
    return r as FeatureRow;
  });
const training = summarize(FEATURES, rows(4000, 0));

describe('psi', () => {
  test('is 0 for identical distributions, empty bins included', () => {
    assert.equal(psi([0.25, 0.25, 0.5], [0.25, 0.25, 0.5]), 0);
    assert.equal(psi([0, 0.4, 0.6], [0, 0.4, 0.6]), 0);
  });

  test('matches a hand computation', () => {
    // (0.8 − 0.5)·ln(0.8/0.5) + (0.2 − 0.5)·ln(0.2/0.5) = 0.3·0.4700036 + 0.3·0.9162907 = 0.4158883
    assert.ok(Math.abs(psi([0.5, 0.5], [0.8, 0.2]) - 0.4158883) < 1e-6);
    // An empty expected bin counts as epsilon: 0.5·ln 2 + (0.5 − 1e-4)·ln(0.5 / 1e-4) = 0.346574 + 4.257745
    assert.ok(Math.abs(psi([1, 0], [0.5, 0.5]) - 4.604319) < 1e-6);
    assert.ok(Math.abs(psi([1, 0], [0.5, 0.5], 0.01) - (0.5 * Math.log(2) + 0.49 * Math.log(50))) < 1e-12);
  });

  test('throws on bins that do not match (a programmer error)', () => {
    assert.throws(() => psi([0.5, 0.5], [1]), /2 expected bins but 1 actual/);
  });
});

describe('ksStatistic', () => {
  test('D on known samples', () => {
    assert.equal(ksStatistic([1, 2, 3, 4], [3, 4, 5, 6]).d, 0.5);
    assert.equal(ksStatistic([1, 2, 3], [4, 5, 6]).d, 1);
    assert.deepEqual(ksStatistic([1, 2, 3], [1, 2, 3]), { d: 0, pValue: 1 });
    // Ties step together: at 1 the CDFs are 2/3 and 1/3.
    assert.equal(ksStatistic([1, 1, 2], [1, 2, 2]).d, 1 / 3);
    assert.deepEqual(ksStatistic([], [1]), { d: 0, pValue: 1 });
  });

  test('the p-value follows the Kolmogorov distribution', () => {
    // The classic 5% and 1% critical values of λ.
    assert.ok(Math.abs(kolmogorovSurvival(1.3581) - 0.05) < 1e-4);
    assert.ok(Math.abs(kolmogorovSurvival(1.6276) - 0.01) < 1e-4);
    const a = Array.from({ length: 200 }, (_, i) => i);
    assert.ok(ksStatistic(a, a.map((x) => x + 100)).pValue < 1e-6);
    assert.ok(ksStatistic(a, a.map((x) => x + 0.5)).pValue > 0.5);
  });
});

describe('compareToTraining', () => {
  test('a served sample of the training distribution is not flagged', () => {
    const report = compareToTraining(training, rows(500, 100_000));
    assert.equal(report.status, 'ok');
    assert.deepEqual(report.flagged, []);
    assert.equal(report.samples, 500);
    assert.equal(report.trainingRows, 4000);
    const price = report.features.price!;
    assert.ok(price.psi! < 0.05 && price.ks!.d < 0.1, JSON.stringify(price));
    assert.deepEqual(report.features.colour!.unseen, { share: 0, examples: [] });
  });

  test('a missing-rate rise is flagged on that feature only', () => {
    const report = compareToTraining(training, rows(500, 100_000, (r, k) => { if (k % 4 === 1) r.colour = null; }));
    assert.deepEqual(report.flagged, ['colour']);
    const colour = report.features.colour!;
    assert.ok(Math.abs(colour.missingRate.reference - 0.02) < 1e-9);
    assert.ok(colour.missingRate.served > 0.2);
    assert.match(colour.reasons.join(' '), /missing rate rose from 2\.0% to/);
  });

  test('a feature absent from every served vector is flagged as missing', () => {
    const report = compareToTraining(training, rows(300, 0, (r) => { delete r.price; }));
    assert.deepEqual(report.flagged, ['price']);
    assert.equal(report.features.price!.missingRate.served, 1);
    assert.equal(report.features.price!.psi, null);
  });

  test('unseen categories are counted, with the most frequent examples first', () => {
    const report = compareToTraining(training, rows(1000, 100_000, (r, k) => {
      if (k % 10 === 0) r.colour = 'purple';
      else if (k % 25 === 1) r.colour = 'mauve';
    }));
    const colour = report.features.colour!;
    assert.ok(Math.abs(colour.unseen!.share - (100 + 40) / (1000 - colour.missingRate.served * 1000)) < 1e-9);
    assert.deepEqual(colour.unseen!.examples, ['purple', 'mauve']);
    assert.equal(colour.flagged, true);
    assert.match(colour.reasons.join(' '), /categories unseen in the reference/);
    assert.deepEqual(report.flagged, ['colour']);
  });

  test('at most 10 unseen examples are listed', () => {
    const report = compareToTraining(training, rows(400, 0, (r, k) => { r.colour = `new-${k % 30}`; }));
    assert.equal(report.features.colour!.unseen!.share, 1);
    assert.equal(report.features.colour!.unseen!.examples.length, 10);
  });

  test('below minSamples nothing is flagged; at minSamples the same skew is', () => {
    const cents = (n: number) => rows(n, 0, (r) => { r.price = (r.price as number) * 100; });
    const few = compareToTraining(training, cents(199));
    assert.equal(few.status, 'insufficient_data');
    assert.deepEqual(few.flagged, []);
    assert.equal(few.features.price!.status, 'insufficient_data');
    assert.equal(few.features.price!.flagged, false);
    const enough = compareToTraining(training, cents(200));
    assert.equal(enough.status, 'flagged');
    assert.deepEqual(enough.flagged, ['price']);
    assert.equal(compareToTraining(training, cents(50), { minSamples: 50 }).status, 'flagged');
  });

  test('thresholds are configurable and checked', () => {
    const shifted = rows(500, 0, (r) => { r.price = (r.price as number) + 2; });
    assert.deepEqual(compareToTraining(training, shifted).flagged, ['price']);
    assert.deepEqual(compareToTraining(training, shifted, { psi: 10, ksD: 0.5 }).flagged, []);
    assert.throws(() => resolveThresholds({ psi: -1 }), { code: 'INVALID_CONFIG', message: /psi/ });
    assert.throws(() => resolveThresholds({ maxPsi: 0.2 } as never), { code: 'INVALID_CONFIG', message: /unknown key 'maxPsi'/ });
    assert.equal(resolveThresholds({ psi: 0.1 }).minSamples, 200);
  });
});
