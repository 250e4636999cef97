import type { ModelStatistics, StatDuration } from '../serving/types.js';

const zero = (): StatDuration => ({ count: 0, ns: 0 });

/** Cumulative statistics of one version, in the Triton statistics-extension shape. */
export class VersionStats {
  lastInferenceMs = 0;
  inferenceCount = 0;
  executionCount = 0;
  readonly success = zero();
  readonly fail = zero();
  readonly queue = zero();
  readonly computeInput = zero();
  readonly computeInfer = zero();
  readonly computeOutput = zero();
  private readonly byBatch = new Map<number, { input: StatDuration; infer: StatDuration; output: StatDuration }>();
  /** Bound on distinct batch sizes tracked, so the map cannot grow without limit. */
  static readonly maxBatchSizesTracked = 1024;

  recordExecution(rows: number, inputNs: number, inferNs: number, outputNs: number): void {
    this.executionCount++;
    this.inferenceCount += rows;
    add(this.computeInput, inputNs);
    add(this.computeInfer, inferNs);
    add(this.computeOutput, outputNs);
    let b = this.byBatch.get(rows);
    if (!b && this.byBatch.size < VersionStats.maxBatchSizesTracked) {
      b = { input: zero(), infer: zero(), output: zero() };
      this.byBatch.set(rows, b);
    }
    if (b) {
      add(b.input, inputNs);
      add(b.infer, inferNs);
      add(b.output, outputNs);
    }
  }

  toJSON(name: string, version: string): ModelStatistics {
    return {
      name,
      version,
      last_inference: this.lastInferenceMs,
      inference_count: this.inferenceCount,
      execution_count: this.executionCount,
      inference_stats: {
        success: { ...this.success },
        fail: { ...this.fail },
        queue: { ...this.queue },
        compute_input: { ...this.computeInput },
        compute_infer: { ...this.computeInfer },
        compute_output: { ...this.computeOutput },
        cache_hit: zero(),
        cache_miss: zero(),
      },
      batch_stats: [...this.byBatch.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([batch_size, s]) => ({ batch_size, compute_input: { ...s.input }, compute_infer: { ...s.infer }, compute_output: { ...s.output } })),
    };
  }
}

export function add(d: StatDuration, ns: number): void {
  d.count++;
  d.ns += Math.round(ns);
}
