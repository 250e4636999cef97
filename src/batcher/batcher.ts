import assert from 'node:assert/strict';
import { ServingError } from '../errors/index.js';
import { systemClock } from '../util/index.js';
import type { Clock, TimerHandle } from '../util/index.js';
import { planBatch, toBatchPolicy } from './plan.js';
import type { BatchItem, BatchOptions, BatchResult, Batcher, BatcherHooks, BatcherStats, ExecuteBatch } from './types.js';

/**
 * Creates a dynamic batcher (contract in types.ts). Dispatch runs in the same tick as the event
 * that freed work (a submit, a finished batch, a timer), never on a fixed flush timer: the probe
 * (notes/perf-probe.md Q5, Q7) measured a fixed 5 ms delay cutting c=1 throughput 20x, while
 * "send what is queued when an instance is idle" batches naturally under load.
 */
export function createBatcher<In, Out>(
  options: BatchOptions,
  execute: ExecuteBatch<In, Out>,
  clock: Clock = systemClock,
  hooks: BatcherHooks = {},
): Batcher<In, Out> {
  const policy = toBatchPolicy(options);
  // FIFO of waiting items; bounded by maxQueueSize, so splicing from the middle stays cheap.
  const queue: BatchItem<In, Out>[] = [];
  const deadlineTimers = new Map<BatchItem<In, Out>, TimerHandle>();
  let running = 0;
  let delayTimer: TimerHandle | undefined;
  let pumpScheduled = false;
  const coalesce = options.coalesce === 'io-phase';
  const schedule = hooks.schedule ?? ((fn: () => void) => void setImmediate(fn));
  let closing: { promise: Promise<void>; resolve: () => void } | undefined;

  function submit(request: Omit<BatchItem<In, Out>, 'resolve' | 'reject' | 'enqueuedAtMs'>): Promise<Out> {
    assert.ok(Number.isInteger(request.rows) && request.rows >= 0, 'item rows must be an integer >= 0');
    assert.ok(
      policy.maxBatchSize <= 1 || request.rows <= policy.maxBatchSize,
      'item rows exceed maxBatchSize; validate the batch dimension before submit',
    );
    if (closing) {
      return Promise.reject(new ServingError('SHUTTING_DOWN', 'the server is shutting down; retry on another replica'));
    }
    // With io-phase coalescing, items of this turn wait for the scheduled pump although an
    // instance is idle; they are not "waiting" in the bound's sense, so hand them over first.
    if (queue.length >= policy.maxQueueSize && pumpScheduled && running < policy.instances) pump();
    if (queue.length >= policy.maxQueueSize) {
      hooks.onReject?.('QUEUE_FULL');
      return Promise.reject(
        new ServingError('QUEUE_FULL', 'the model queue is full; back off and retry', { maxQueueSize: policy.maxQueueSize }),
      );
    }
    const nowMs = clock.now();
    if (request.deadlineMs !== undefined && request.deadlineMs <= nowMs) {
      hooks.onReject?.('DEADLINE_EXCEEDED');
      return Promise.reject(deadlineError());
    }
    return new Promise<Out>((resolve, reject) => {
      const item: BatchItem<In, Out> = { ...request, resolve, reject, enqueuedAtMs: nowMs };
      queue.push(item);
      if (item.deadlineMs !== undefined) {
        deadlineTimers.set(item, clock.setTimeout(() => expire(item), item.deadlineMs - nowMs));
      }
      if (!coalesce) pump();
      else if (!pumpScheduled) {
        pumpScheduled = true;
        schedule(() => {
          pumpScheduled = false;
          pump();
        });
      }
    });
  }

  /** Fired by an item's deadline timer while it is still queued. */
  function expire(item: BatchItem<In, Out>): void {
    const index = queue.indexOf(item);
    if (index < 0) return;
    queue.splice(index, 1);
    deadlineTimers.delete(item);
    rejectExpired(item);
    // The oldest item may have gone, which changes how long (or whether) to wait.
    pump();
  }

  function rejectExpired(item: BatchItem<In, Out>): void {
    hooks.onReject?.('DEADLINE_EXCEEDED');
    item.reject(deadlineError());
  }

  /** Removes items whose deadline passed but whose timer has not fired yet (late timers). */
  function dropExpired(nowMs: number): void {
    for (let i = queue.length - 1; i >= 0; i--) {
      const item = queue[i]!;
      if (item.deadlineMs === undefined || item.deadlineMs > nowMs) continue;
      queue.splice(i, 1);
      deadlineTimers.get(item)?.cancel();
      deadlineTimers.delete(item);
      rejectExpired(item);
    }
  }

  /** Starts batches while an instance is free and the plan says go; the single dispatch point. */
  function pump(): void {
    delayTimer?.cancel();
    delayTimer = undefined;
    if (queue.length > 0) dropExpired(clock.now());
    while (running < policy.instances && queue.length > 0) {
      const nowMs = clock.now();
      // While closing no new item can arrive, so waiting for a fuller batch only adds latency.
      const plan = planBatch(queue, policy, nowMs, closing === undefined);
      if ('waitUntilMs' in plan) {
        delayTimer = clock.setTimeout(pump, plan.waitUntilMs - nowMs);
        break;
      }
      run(take(plan.indices), plan.rows);
    }
    if (closing && queue.length === 0 && running === 0) closing.resolve();
  }

  function take(indices: readonly number[]): BatchItem<In, Out>[] {
    const items: BatchItem<In, Out>[] = [];
    for (let k = indices.length - 1; k >= 0; k--) {
      const [item] = queue.splice(indices[k]!, 1);
      assert.ok(item !== undefined, 'planned index is outside the queue');
      deadlineTimers.get(item)?.cancel();
      deadlineTimers.delete(item);
      items.push(item);
    }
    return items.reverse();
  }

  function run(items: BatchItem<In, Out>[], rows: number): void {
    running++;
    hooks.onBatch?.(items, rows);
    let pending: Promise<BatchResult<Out>>;
    try {
      pending = execute(items);
    } catch (err) {
      // A synchronous throw is treated like a rejection so settling is always asynchronous
      // and pump() is never re-entered from inside its own loop.
      pending = Promise.reject(err);
    }
    pending.then(
      (result) => {
        running--;
        deliver(items, result);
        pump();
      },
      (err: unknown) => {
        running--;
        const error = asInferenceError(err);
        for (const item of items) item.reject(error);
        pump();
      },
    );
  }

  function close(): Promise<void> {
    if (closing) return closing.promise;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    closing = { promise, resolve };
    // Cancels any wait for a preferred size and resolves at once if nothing is left.
    pump();
    return promise;
  }

  function stats(): BatcherStats {
    return { queued: queue.length, running };
  }

  return { submit, stats, close };
}

function deliver<In, Out>(items: readonly BatchItem<In, Out>[], result: BatchResult<Out> | undefined): void {
  const outputs = result?.outputs;
  if (!Array.isArray(outputs) || outputs.length !== items.length) {
    // A broken runtime adapter must not leave callers hanging; every item gets an answer.
    const error = new ServingError('INTERNAL', 'internal error', { cause: 'execute returned the wrong number of outputs' });
    for (const item of items) item.reject(error);
    return;
  }
  items.forEach((item, i) => {
    const output = outputs[i] as Out | Error;
    if (output instanceof Error) item.reject(asInferenceError(output));
    else item.resolve(output);
  });
}

function asInferenceError(err: unknown): ServingError {
  if (err instanceof ServingError) return err;
  return new ServingError('INFERENCE_FAILED', 'model execution failed', { cause: err });
}

function deadlineError(): ServingError {
  return new ServingError('DEADLINE_EXCEEDED', 'the request timed out while queued and was not run; raise its timeout or retry');
}
