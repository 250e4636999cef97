/**
 * Per-version dynamic batcher. Generic over the work item: it knows rows, compatibility and
 * deadlines, never tensors. The caller supplies `execute`, which runs one batch on one instance.
 *
 * Contract:
 * - submit() never blocks: it enqueues or rejects at once with QUEUE_FULL (queue holds
 *   maxQueueSize items waiting; running items do not count) or SHUTTING_DOWN (after close()).
 * - A batch is dispatched as soon as an instance is free (running batches < instances). It takes
 *   the oldest item and then later compatible items (same `batchKey`) until maxBatchSize rows.
 * - maxQueueDelayMs > 0: when two or more items are queued but the batch would be neither the max
 *   nor a preferred size, wait up to maxQueueDelayMs since the oldest item's arrival for more.
 *   Never wait when a single item is queued and an instance is idle.
 * - An item whose deadline passes while queued is rejected with DEADLINE_EXCEEDED at its
 *   deadline (a timer, not at the next dispatch) and is never executed.
 * - close() rejects new submissions; resolves once every queued and running item is answered.
 */
export interface BatchItem<In, Out> {
  input: In;
  /** Rows this item contributes to a batch (its batch dimension). */
  rows: number;
  /** Items stack only with items of the same key (e.g. equal non-batch dims). */
  batchKey: string;
  /** Absolute time on the batcher's clock; undefined = no deadline. */
  deadlineMs?: number;
  resolve(out: Out): void;
  reject(err: Error): void;
  /** Set by the batcher: when the item entered the queue. */
  enqueuedAtMs?: number;
}

export interface BatchOptions {
  /** 0 or 1 means each item runs alone. */
  maxBatchSize: number;
  preferredBatchSizes: number[];
  maxQueueDelayMs: number;
  /** Items waiting (not running); 0 = unbounded is not allowed, use a large number. */
  maxQueueSize: number;
  /** Batches that may run at once (model instances). */
  instances: number;
  /**
   * When an instance is idle, dispatch a new item at once ('none') or at the end of the current
   * I/O phase ('io-phase', via `schedule`), so requests parsed in the same event-loop turn form
   * one batch. 'io-phase' adds no timer, only the rest of the current turn. Default 'none'.
   */
  coalesce?: 'none' | 'io-phase';
}

export interface BatchResult<Out> {
  /** One output per item, in the order of the batch. An Error entry fails only that item. */
  outputs: (Out | Error)[];
}

export interface BatcherStats {
  queued: number;
  running: number;
}

export interface Batcher<In, Out> {
  submit(item: Omit<BatchItem<In, Out>, 'resolve' | 'reject' | 'enqueuedAtMs'>): Promise<Out>;
  stats(): BatcherStats;
  close(): Promise<void>;
}

/** Runs one batch; rejecting fails every item in it. `queueMs` per item is reported for metrics. */
export type ExecuteBatch<In, Out> = (items: BatchItem<In, Out>[]) => Promise<BatchResult<Out>>;

/**
 * Observation points for metrics; called synchronously on the batcher's path, so they must be
 * cheap and must not throw or call back into the batcher.
 */
export interface BatcherHooks {
  /** A batch was handed to `execute`; `batchRows` is the sum of its items' rows. */
  onBatch?(items: readonly BatchItem<unknown, unknown>[], batchRows: number): void;
  /** An item was shed (QUEUE_FULL) or expired (DEADLINE_EXCEEDED) without running. */
  onReject?(code: 'QUEUE_FULL' | 'DEADLINE_EXCEEDED'): void;
  /** Runs fn at the end of the current I/O phase; default setImmediate (tests inject their own). */
  schedule?(fn: () => void): void;
}
