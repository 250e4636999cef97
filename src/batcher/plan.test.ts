import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { planBatch, toBatchPolicy } from './plan.js';
import type { PlannedItem } from './plan.js';
import type { BatchOptions } from './types.js';

const base: BatchOptions = { maxBatchSize: 8, preferredBatchSizes: [], maxQueueDelayMs: 0, maxQueueSize: 1, instances: 1 };

function items(...rows: number[]): PlannedItem[] {
  return rows.map((r) => ({ rows: r, batchKey: 'k', enqueuedAtMs: 0 }));
}

describe('toBatchPolicy', () => {
  test('rejects invalid options as programmer errors', () => {
    const bad: Partial<BatchOptions>[] = [
      { maxBatchSize: -1 },
      { maxBatchSize: 1.5 },
      { instances: 0 },
      { maxQueueSize: 0 },
      { maxQueueDelayMs: -1 },
      { maxQueueDelayMs: Number.NaN },
      { preferredBatchSizes: [9] },
      { preferredBatchSizes: [0] },
    ];
    for (const override of bad) assert.throws(() => toBatchPolicy({ ...base, ...override }), /must be/);
  });

  test('accepts preferred sizes at both ends of 1..maxBatchSize', () => {
    assert.deepEqual([...toBatchPolicy({ ...base, preferredBatchSizes: [1, 8] }).preferredBatchSizes], [1, 8]);
  });
});

describe('planBatch', () => {
  test('a max-size batch beats a smaller preferred size', () => {
    const policy = toBatchPolicy({ ...base, maxBatchSize: 4, preferredBatchSizes: [2] });
    assert.deepEqual(planBatch(items(1, 1, 1, 1), policy, 0, true), { indices: [0, 1, 2, 3], rows: 4 });
  });

  test('a preferred size reached on the way is taken when the next item overflows', () => {
    const policy = toBatchPolicy({ ...base, maxBatchSize: 8, preferredBatchSizes: [4] });
    assert.deepEqual(planBatch(items(2, 2, 3, 3), policy, 0, true), { indices: [0, 1], rows: 4 });
  });

  test('waits until the oldest item has waited maxQueueDelayMs, then takes what is there', () => {
    const policy = toBatchPolicy({ ...base, maxQueueDelayMs: 5 });
    assert.deepEqual(planBatch(items(1, 1), policy, 2, true), { waitUntilMs: 5 });
    assert.deepEqual(planBatch(items(1, 1), policy, 5, true), { indices: [0, 1], rows: 2 });
    assert.deepEqual(planBatch(items(1, 1), policy, 2, false), { indices: [0, 1], rows: 2 });
  });
});
