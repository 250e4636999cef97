import assert from 'node:assert/strict';
import type { BatchOptions } from './types.js';

/**
 * The pure half of the batcher: option checks and the decision of which queued items form the
 * next batch, or how long to wait for a better one. No I/O and no clock reads.
 */

/** Options after validation, with preferred sizes as a set for the per-item lookups. */
export interface BatchPolicy {
  readonly maxBatchSize: number;
  readonly preferredBatchSizes: ReadonlySet<number>;
  readonly maxQueueDelayMs: number;
  readonly maxQueueSize: number;
  readonly instances: number;
}

/** What planBatch needs to know of a queued item. */
export interface PlannedItem {
  readonly rows: number;
  readonly batchKey: string;
  readonly enqueuedAtMs?: number;
}

/** Either the queue indices (ascending) to run now, or the clock time to look again. */
export type BatchPlan = { readonly indices: number[]; readonly rows: number } | { readonly waitUntilMs: number };

function isCount(value: number, min: number): boolean {
  return Number.isInteger(value) && value >= min;
}

/** Bad options are programmer errors (config validation runs before this), so they assert. */
export function toBatchPolicy(options: BatchOptions): BatchPolicy {
  const { maxBatchSize, preferredBatchSizes, maxQueueDelayMs, maxQueueSize, instances } = options;
  assert.ok(isCount(maxBatchSize, 0), 'maxBatchSize must be an integer >= 0');
  assert.ok(isCount(instances, 1), 'instances must be an integer >= 1');
  assert.ok(isCount(maxQueueSize, 1), 'maxQueueSize must be an integer >= 1');
  assert.ok(Number.isFinite(maxQueueDelayMs) && maxQueueDelayMs >= 0, 'maxQueueDelayMs must be a finite number >= 0');
  assert.ok(Array.isArray(preferredBatchSizes), 'preferredBatchSizes must be an array');
  for (const size of preferredBatchSizes) {
    assert.ok(isCount(size, 1) && size <= maxBatchSize, 'each preferredBatchSizes entry must be an integer in 1..maxBatchSize');
  }
  return Object.freeze({
    maxBatchSize,
    preferredBatchSizes: new Set(preferredBatchSizes),
    maxQueueDelayMs,
    maxQueueSize,
    instances,
  });
}

/**
 * Decides the next batch from a non-empty FIFO queue, following Triton's dynamic batcher:
 * the oldest item plus later items of the same batchKey while the rows fit maxBatchSize; cut to
 * the largest preferred size reached on the way; if neither max nor a preferred size is reached,
 * wait up to maxQueueDelayMs from the oldest item's arrival. A max-size batch beats a preferred one. Waiting is skipped when it cannot
 * help: one item queued (a lone request on an idle instance must not pay the delay), the next
 * compatible item does not fit, or `mayWait` is false (no delay configured, or closing).
 */
export function planBatch(queue: readonly PlannedItem[], policy: BatchPolicy, nowMs: number, mayWait: boolean): BatchPlan {
  const oldest = queue[0];
  assert.ok(oldest !== undefined, 'planBatch needs a non-empty queue');
  if (policy.maxBatchSize <= 1) return { indices: [0], rows: oldest.rows };

  const indices = [0];
  let rows = oldest.rows;
  let preferredCount = policy.preferredBatchSizes.has(rows) ? 1 : 0;
  let full = false;
  for (let i = 1; i < queue.length && rows < policy.maxBatchSize; i++) {
    const item = queue[i]!;
    if (item.batchKey !== oldest.batchKey) continue;
    // Stop at the first compatible item that does not fit, so compatible items keep FIFO order.
    if (rows + item.rows > policy.maxBatchSize) {
      full = true;
      break;
    }
    indices.push(i);
    rows += item.rows;
    if (policy.preferredBatchSizes.has(rows)) preferredCount = indices.length;
  }

  if (rows >= policy.maxBatchSize) return { indices, rows };
  if (preferredCount > 0) {
    const kept = indices.slice(0, preferredCount);
    return { indices: kept, rows: sumRows(queue, kept) };
  }
  if (full) return { indices, rows };
  const waitUntilMs = (oldest.enqueuedAtMs ?? nowMs) + policy.maxQueueDelayMs;
  if (mayWait && policy.maxQueueDelayMs > 0 && queue.length >= 2 && nowMs < waitUntilMs) return { waitUntilMs };
  return { indices, rows };
}

function sumRows(queue: readonly PlannedItem[], indices: readonly number[]): number {
  let rows = 0;
  for (const i of indices) rows += queue[i]!.rows;
  return rows;
}
