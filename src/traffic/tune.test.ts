import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isServingError } from '../errors/index.js';
import { candidateThresholds, shortestAbove, tuneCascade, type TuneInput } from './tune.js';

/**
 * Ten rows, two stages, costs 1 and 10. ok0/ok1: whether stage 0/1 predicts the label.
 *
 *   row      0    1    2    3    4    5    6    7    8    9
 *   score0 .45  .40  .35  .30  .25  .20  .15  .10  .05  .00
 *   ok0      y    y    y    n    y    n    n    y    n    y     stage 0 alone: 6/10
 *   ok1      y    y    y    y    y    y    y    y    y    n     stage 1 alone: 9/10
 *
 * Accepting the top k rows at stage 0 costs 1 + (10 − k)/10 × 10 per row. By hand:
 *   k = 0 (none): 9/10, cost 11     k = 3: 3 + 6 = 9/10, cost 8     k = 5: 4 + 4 = 8/10, cost 6
 *   k = 1:        9/10, cost 10     k = 4: 3 + 5 = 8/10, cost 7     k = 10 (all): 6/10, cost 1
 *   k = 2:        9/10, cost 9
 * So for a 0.9 target the best is k = 3: any threshold in (0.30, 0.35], cost 8 (0.8 of stage 1).
 */
const LABELS = [1, 0, 1, 0, 0, 0, 1, 1, 1, 1];
const PRED0 = [1, 0, 1, 1, 0, 1, 0, 1, 0, 1];
const PRED1 = [1, 0, 1, 0, 0, 0, 1, 1, 1, 0];
const SCORE0 = [0.45, 0.4, 0.35, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05, 0];

function twoStages(targetAccuracy: number): TuneInput {
  return {
    stages: [
      { scores: Float64Array.from(SCORE0), predicted: PRED0 },
      { scores: new Float64Array(10), predicted: Int32Array.from(PRED1) },
    ],
    labels: LABELS,
    costPerRow: [1, 10],
    targetAccuracy,
    maxThresholds: [0.5],
  };
}

function near(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} vs ${expected}`);
}

function rejectsWith(fn: () => unknown, words: RegExp): void {
  assert.throws(fn, (err: unknown) => isServingError(err) && err.code === 'INVALID_CONFIG' && words.test(err.message));
}

describe('tuneCascade with two stages (exact sweep)', () => {
  test('recommends the cheapest threshold that meets the target, as computed by hand', () => {
    const result = tuneCascade(twoStages(0.9));
    const r = result.recommended;
    assert.equal(r.metTarget, true);
    assert.equal(r.thresholds.length, 1);
    assert.ok(r.thresholds[0]! > 0.3 && r.thresholds[0]! <= 0.35, String(r.thresholds[0]));
    assert.ok([0.32, 0.33].includes(r.thresholds[0]!), `two decimals, near the middle of (0.30, 0.35]: ${r.thresholds[0]}`);
    near(r.accuracy, 0.9, 'accuracy');
    near(r.costPerRow, 8, 'cost');
    near(r.costVsLastStage, 0.8, 'cost vs last stage');
    assert.deepEqual(r.shareAnsweredPerStage.map((s) => Math.round(s * 10) / 10), [0.3, 0.7]);
    assert.deepEqual(result.accuracyPerStage, [0.6, 0.9]);
    assert.equal(result.search.kind, 'exact');
  });

  test('a lower target moves the threshold down and the cost with it', () => {
    const r = tuneCascade(twoStages(0.8)).recommended;
    assert.equal(r.metTarget, true);
    assert.ok(r.thresholds[0]! > 0.2 && r.thresholds[0]! <= 0.25, String(r.thresholds[0]));
    near(r.costPerRow, 6, 'cost');
    near(r.accuracy, 0.8, 'accuracy');
  });

  test('an unreachable target gives the most accurate (then cheapest) thresholds with metTarget false', () => {
    const r = tuneCascade(twoStages(0.95)).recommended;
    assert.equal(r.metTarget, false);
    near(r.accuracy, 0.9, 'accuracy');
    near(r.costPerRow, 8, 'cost');
  });

  test('the table sweeps evenly from accept-all (0) to accept-none (the rule maximum)', () => {
    const { table } = tuneCascade(twoStages(0.9));
    assert.equal(table.length, 21);
    const first = table[0]!;
    const last = table[table.length - 1]!;
    assert.deepEqual([first.thresholds, first.shareAnsweredPerStage, first.accuracy, first.costVsLastStage], [[0], [1, 0], 0.6, 0.1]);
    assert.deepEqual([last.thresholds, last.shareAnsweredPerStage], [[0.5], [0, 1]]);
    near(last.accuracy, 0.9, 'accept none: stage 1 alone');
    near(last.costVsLastStage, 1.1, 'accept none runs both stages');
    const atQuarter = table.find((row) => row.thresholds[0] === 0.25)!;
    near(atQuarter.accuracy, 0.8, 'k = 5');
    near(atQuarter.costPerRow, 6, 'k = 5');
  });
});

describe('tuneCascade with three stages (grid)', () => {
  // Stage 1 is a middle model; every stage's scores are distinct per row.
  const input = (target: number): TuneInput => ({
    stages: [
      { scores: Float64Array.from(SCORE0), predicted: PRED0 },
      { scores: Float64Array.from([0.9, 0.2, 0.8, 0.85, 0.3, 0.95, 0.1, 0.7, 0.6, 0.4]), predicted: [1, 1, 1, 0, 0, 0, 0, 1, 0, 1] },
      { scores: new Float64Array(10), predicted: PRED1 },
    ],
    labels: LABELS,
    costPerRow: [1, 3, 10],
    targetAccuracy: target,
    maxThresholds: [0.5, 1],
  });

  /** Independent of tune.ts: walk each row through the stages. */
  function simulate(t0: number, t1: number): { accuracy: number; cost: number } {
    const s = input(0).stages;
    let right = 0;
    let cost = 0;
    for (let r = 0; r < LABELS.length; r++) {
      const stage = s[0]!.scores[r]! >= t0 ? 0 : s[1]!.scores[r]! >= t1 ? 1 : 2;
      cost += [1, 4, 14][stage]!;
      if (s[stage]!.predicted[r] === LABELS[r]) right++;
    }
    return { accuracy: right / 10, cost: cost / 10 };
  }

  test('finds the same optimum as trying every pair of thresholds (10 rows fit the grid whole)', () => {
    const result = tuneCascade(input(0.9));
    let bestCost = Infinity;
    for (let a = 0; a <= 50; a++) {
      for (let b = 0; b <= 100; b++) {
        const { accuracy, cost } = simulate(a / 100, b / 100);
        if (accuracy >= 0.9 - 1e-12) bestCost = Math.min(bestCost, cost);
      }
    }
    const r = result.recommended;
    assert.equal(r.metTarget, true);
    near(r.costPerRow, bestCost, 'least cost meeting the target');
    const check = simulate(r.thresholds[0]!, r.thresholds[1]!);
    near(check.accuracy, r.accuracy, 'accuracy recomputed from the thresholds');
    near(check.cost, r.costPerRow, 'cost recomputed from the thresholds');
    assert.equal(result.search.kind, 'grid');
    assert.ok(bestCost < 10, 'the middle stage makes the cascade cheaper than stage 2 alone');
  });

  test('the table is the frontier: each row cheaper ones do not match in accuracy', () => {
    const { table } = tuneCascade(input(0.9));
    assert.ok(table.length >= 2);
    for (let i = 1; i < table.length; i++) {
      assert.ok(table[i]!.costPerRow >= table[i - 1]!.costPerRow);
      assert.ok(table[i]!.accuracy > table[i - 1]!.accuracy);
    }
  });
});

describe('tuneCascade input errors', () => {
  test('one stage, no rows, mismatched lengths, bad costs and targets are INVALID_CONFIG', () => {
    const ok = twoStages(0.9);
    rejectsWith(() => tuneCascade({ ...ok, stages: ok.stages.slice(0, 1), costPerRow: [1] }), /at least 2 stages/);
    rejectsWith(() => tuneCascade({ ...ok, labels: [] }), /no rows/);
    rejectsWith(() => tuneCascade({ ...ok, labels: LABELS.slice(1) }), /stage 0 has 10 predictions for 9/);
    rejectsWith(() => tuneCascade({ ...ok, costPerRow: [1, 0] }), /positive cost/);
    rejectsWith(() => tuneCascade({ ...ok, targetAccuracy: 0 }), /target accuracy/);
    rejectsWith(() => tuneCascade({ ...ok, targetAccuracy: 1.01 }), /target accuracy/);
    rejectsWith(() => tuneCascade({ ...ok, tableRows: 102 }), /tableRows/);
  });

  test('a target of exactly 1 is allowed (and unmet here)', () => {
    assert.equal(tuneCascade({ ...twoStages(1) }).recommended.metTarget, false);
  });
});

describe('thresholds', () => {
  test('every candidate selects a different set of rows, from accept-all to accept-none', () => {
    assert.deepEqual(candidateThresholds(Float64Array.from([0.1, 0.3, 0.3, NaN]), 0.5), [0, 0.2, 0.4]);
  });

  test('accept-none is left out when the top score equals the rule maximum', () => {
    assert.deepEqual(candidateThresholds(Float64Array.from([0.2, 0.5]), 0.5), [0, 0.4]);
  });

  test('shortestAbove picks few digits, strictly above lo and at most hi', () => {
    assert.ok([0.32, 0.33].includes(shortestAbove(0.3, 0.35)));
    assert.equal(shortestAbove(0.1234, 0.1235), 0.1235);
    assert.equal(shortestAbove(0.2, 0.9), 0.6);
  });
});
