import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseArm, inShare, unitPosition } from './assign.js';

test('a unit always lands on the same position, and salts decorrelate experiments', () => {
  assert.equal(unitPosition('exp', 'user-1'), unitPosition('exp', 'user-1'));
  assert.notEqual(unitPosition('exp', 'user-1'), unitPosition('other', 'user-1'));
  const p = unitPosition('exp', 'user-1');
  assert.ok(p >= 0 && p < 1);
});

test('arms get traffic in proportion to their weights over 20k units (chi-square, p > 0.001)', () => {
  const arms = [{ name: 'a', weight: 2 }, { name: 'b', weight: 1 }, { name: 'c', weight: 1 }];
  const counts = new Map<string, number>();
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    const arm = chooseArm(arms, unitPosition('weights', `u${i}`));
    counts.set(arm.name, (counts.get(arm.name) ?? 0) + 1);
  }
  const expected = [n / 2, n / 4, n / 4];
  const chi2 = arms.reduce((s, a, i) => s + ((counts.get(a.name) ?? 0) - expected[i]!) ** 2 / expected[i]!, 0);
  // Critical value of chi-square with 2 degrees of freedom at p = 0.001.
  assert.ok(chi2 < 13.816, `chi-square ${chi2} for ${JSON.stringify([...counts])}`);
});

test('the edges of the unit interval map to the first and last arms', () => {
  const arms = [{ name: 'a', weight: 1 }, { name: 'b', weight: 1 }];
  assert.equal(chooseArm(arms, 0).name, 'a');
  assert.equal(chooseArm(arms, 0.4999).name, 'a');
  assert.equal(chooseArm(arms, 0.5).name, 'b');
  assert.equal(chooseArm(arms, 0.999999).name, 'b');
});

test('inShare takes exactly the first percent of positions', () => {
  assert.equal(inShare(0.0099, 1), true);
  assert.equal(inShare(0.01, 1), false);
  assert.equal(inShare(0.5, 100), true);
  assert.equal(inShare(0, 0), false);
});
