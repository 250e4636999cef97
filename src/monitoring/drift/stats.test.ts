import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { summarize } from './stats.js';
import type { CategoricalStats, FeatureRow, NumericStats } from './stats.js';

const numeric = (rows: FeatureRow[], opts = {}) => summarize([{ name: 'x', kind: 'numeric' }], rows, opts).features.x as NumericStats;
const categorical = (rows: FeatureRow[], opts = {}) => summarize([{ name: 'c', kind: 'categorical' }], rows, opts).features.c as CategoricalStats;
const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);

describe('summarize', () => {
  test('numeric: count, missing (null, NaN, absent), mean, sample std, min, max and decile bins', () => {
    const rows: FeatureRow[] = [...range(100).map((x) => ({ x })), { x: null }, { x: Number.NaN }, {}, { other: 3 }];
    const s = numeric(rows);
    assert.equal(s.count, 100);
    assert.equal(s.missing, 4);
    assert.equal(s.mean, 50.5);
    assert.ok(Math.abs(s.std! - Math.sqrt(841.6666666666666)) < 1e-9);
    assert.deepEqual([s.min, s.max], [1, 100]);
    assert.deepEqual(s.edges, [11, 21, 31, 41, 51, 61, 71, 81, 91]);
    assert.deepEqual(s.proportions, new Array(10).fill(0.1));
    assert.deepEqual(s.sample, range(100));
  });

  test('tied quantiles merge into one bin', () => {
    const s = numeric([...new Array(60).fill(0), ...range(40)].map((x) => ({ x })));
    assert.deepEqual(s.edges, [0, 1, 11, 21, 31]);
    assert.deepEqual(s.proportions, [0, 0.6, 0.1, 0.1, 0.1, 0.1]);
  });

  test('a feature with no values has null moments and empty bins', () => {
    const s = numeric([{ x: null }, {}]);
    assert.deepEqual({ count: s.count, missing: s.missing, mean: s.mean, std: s.std, edges: s.edges, sample: s.sample }, { count: 0, missing: 2, mean: null, std: null, edges: [], sample: [] });
  });

  test('the KS reservoir holds every value at sampleSize and stays at sampleSize one past it', () => {
    assert.deepEqual(numeric(range(10).reverse().map((x) => ({ x })), { sampleSize: 10 }).sample, range(10));
    const past = numeric(range(11).map((x) => ({ x })), { sampleSize: 10 });
    assert.equal(past.sample.length, 10);
    assert.deepEqual([...past.sample].sort((a, b) => a - b), past.sample);
    assert.equal(past.count, 11);
    const many = numeric(range(100_000).map((x) => ({ x })), { sampleSize: 500 });
    assert.equal(many.sample.length, 500);
    // A uniform reservoir of 1…100000 has its median near 50000.
    assert.ok(Math.abs(many.sample[250]! - 50_000) < 10_000);
  });

  test('the same rows and seed give the same statistics', () => {
    const rows = range(20_000).map((x) => ({ x: (x * 7919) % 1000 }));
    assert.deepEqual(numeric(rows, { sampleSize: 100 }), numeric(rows, { sampleSize: 100 }));
  });

  test('categorical: shares of present values, most frequent first, the rest as the other share', () => {
    const rows: FeatureRow[] = ['a', 'a', 'a', 'a', 'a', 'b', 'b', 'b', 'c', 'd', null, undefined].map((c) => ({ c }));
    const capped = categorical(rows, { maxCategories: 2 });
    assert.deepEqual(capped, { kind: 'categorical', count: 10, missing: 2, categories: [{ value: 'a', share: 0.5 }, { value: 'b', share: 0.3 }], otherShare: 0.2 });
    assert.equal(categorical(rows, { maxCategories: 4 }).otherShare, 0);
    assert.equal(categorical(rows, { maxCategories: 3 }).categories.length, 3);
  });

  test('categorical numbers become their decimal text', () => {
    assert.deepEqual(categorical([{ c: 7 }, { c: '7' }]).categories, [{ value: '7', share: 1 }]);
  });

  test('a high-cardinality feature keeps its frequent category with bounded tracking', () => {
    // 30% "hot", the rest distinct ids: only 10 tokens are tracked (maxCategories 1 × 10).
    const rows = range(100_000).map((i) => ({ c: i % 10 < 3 ? 'hot' : `id-${i}` }));
    const s = categorical(rows, { maxCategories: 1 });
    assert.equal(s.categories[0]!.value, 'hot');
    assert.ok(s.categories[0]!.share <= 0.3 && s.categories[0]!.share > 0.3 - 1 / 11);
    assert.ok(Math.abs(s.categories[0]!.share + s.otherShare - 1) < 1e-12);
  });

  test('rejects a value of the wrong type with INPUT_INVALID naming the row and feature', () => {
    assert.throws(() => numeric([{ x: 1 }, { x: '12.5' }]), { code: 'INPUT_INVALID', message: 'training row 1: feature "x" is numeric but holds a string' });
    assert.throws(() => categorical([{ c: true as unknown as string }]), { code: 'INPUT_INVALID', message: /feature "c" is categorical but holds a boolean/ });
  });

  test('rejects duplicate, empty and reserved feature names and unknown kinds', () => {
    const bad = [
      [{ name: 'x', kind: 'numeric' }, { name: 'x', kind: 'categorical' }],
      [{ name: '', kind: 'numeric' }],
      [{ name: '__proto__', kind: 'numeric' }],
      [{ name: 'x', kind: 'text' }],
      [],
    ];
    for (const features of bad) {
      assert.throws(() => summarize(features as never, []), { code: 'INVALID_FEATURE_DEFINITION' });
    }
  });

  test('rejects out-of-range and unknown options with INVALID_CONFIG naming the key', () => {
    assert.throws(() => numeric([], { bins: 1 }), { code: 'INVALID_CONFIG', message: /bins/ });
    assert.throws(() => numeric([], { bins: 101 }), { code: 'INVALID_CONFIG', message: /bins/ });
    assert.equal(numeric(range(1000).map((x) => ({ x })), { bins: 100 }).proportions.length, 100);
    assert.throws(() => numeric([], { buckets: 10 }), { code: 'INVALID_CONFIG', message: /unknown key 'buckets'/ });
    assert.throws(() => categorical([], { maxCategories: 0 }), { code: 'INVALID_CONFIG', message: /maxCategories/ });
  });
});
