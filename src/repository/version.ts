import type { ModelConfig } from '../config/index.js';
import { DEFAULT_MAX_BATCH_SIZE } from '../config/index.js';
import { createBatcher } from '../batcher/index.js';
import type { Batcher, BatchItem, BatchResult } from '../batcher/index.js';
import { ServingError } from '../errors/index.js';
import type { ServingMetrics, VersionMetrics } from '../monitoring/index.js';
import type { LoadedModel } from '../runtime/index.js';
import type { VersionState } from '../serving/types.js';
import { concatBatch, splitBatch, elementCount } from '../tensor/index.js';
import type { Signature, Tensor, TensorSpec } from '../tensor/index.js';
import type { Clock } from '../util/index.js';
import { VersionStats } from './stats.js';

export interface WorkInput {
  inputs: Tensor[];
}

/**
 * Whether a model's first dimension is a batch dimension: every input and output must have a
 * dynamic first dimension. A model exported with a fixed first dimension runs unbatched.
 */
export function inferMaxBatchSize(signature: Signature, config: ModelConfig): number {
  if (config.maxBatchSize !== undefined) return config.maxBatchSize;
  const all = [...signature.inputs, ...signature.outputs];
  const batchable = all.length > 0 && all.every((t) => t.shape.length > 0 && t.shape[0] === -1);
  return batchable ? DEFAULT_MAX_BATCH_SIZE : 0;
}

/** One version of a model: its state, its loaded runtime object, its batcher and statistics. */
export class VersionEntry {
  state: VersionState = 'loading';
  reason: string | undefined;
  loaded: LoadedModel | undefined;
  batcher: Batcher<WorkInput, Tensor[]> | undefined;
  maxBatchSize = 0;
  readonly stats = new VersionStats();
  /** This version's metric series, bound once (see ServingMetrics.forVersion). */
  readonly m: VersionMetrics;
  /** Mean (exponentially weighted) run time in µs, from warmup and every execution. */
  private meanInferUs: number | undefined;
  private inline = false;

  /** Whether this version has a main-thread session for lone fast requests. */
  get inlineEnabled(): boolean {
    return this.inline;
  }
  private runningBatches = 0;
  /** Set when the load timed out: warmup stops at its next step and the version is released. */
  abandoned = false;
  /** Requests holding this version (between resolve and answer). */
  private refs = 0;
  /** Clock ms when a request last arrived while another of this version was in flight. */
  private lastOverlapMs = Number.NEGATIVE_INFINITY;
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly model: string,
    readonly version: number,
    readonly config: ModelConfig,
    private readonly metrics: ServingMetrics,
    private readonly clock: Clock,
  ) {
    this.m = metrics.forVersion(model, String(version));
  }

  get versionLabel(): string {
    return String(this.version);
  }

  get signature(): Signature {
    if (!this.loaded) throw new ServingError('MODEL_NOT_READY', `model '${this.model}' version ${this.version} is not ready`);
    return this.loaded.signature;
  }

  setState(state: VersionState, reason?: string): void {
    this.state = state;
    this.reason = reason;
    this.metrics.setVersionState(this.model, this.versionLabel, state);
  }

  acquire(): void {
    if (++this.refs > 1) this.lastOverlapMs = this.clock.now();
  }

  release(): void {
    this.refs--;
    if (this.refs === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves once no request holds this version. */
  private idle(): Promise<void> {
    if (this.refs === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Takes a freshly loaded model, warms it up, and starts its batcher. Throws if warmup fails. */
  async activate(loaded: LoadedModel): Promise<void> {
    this.loaded = loaded;
    this.maxBatchSize = inferMaxBatchSize(loaded.signature, this.config);
    // With warmup off nothing runs before traffic, not even the timing runs inline mode needs.
    if (this.config.warmup.enabled) {
      await this.warmup(loaded);
      await this.maybeEnableInline(loaded);
    }
    const free = Array.from({ length: loaded.instances }, (_, i) => i);
    const m = this.m;
    this.batcher = createBatcher<WorkInput, Tensor[]>(
      {
        maxBatchSize: this.maxBatchSize,
        preferredBatchSizes: [...this.config.batching.preferredBatchSizes],
        maxQueueDelayMs: this.config.batching.maxQueueDelayMs,
        maxQueueSize: this.config.batching.maxQueueSize,
        instances: loaded.instances,
        coalesce: this.config.batching.coalesce,
      },
      (items) => this.execute(loaded, free, items),
      this.clock,
      {
        onBatch: (items) => {
          const now = this.clock.now();
          for (const item of items) {
            const waitedMs = now - (item.enqueuedAtMs ?? now);
            m.queueSeconds.observe(waitedMs / 1000);
            m.queueUs.inc(waitedMs * 1000);
            this.stats.queue.count++;
            this.stats.queue.ns += Math.round(waitedMs * 1e6);
          }
          m.pending.set(this.batcher?.stats().queued ?? 0);
        },
      },
    );
  }

  /**
   * Fast versions (measured mean run under runtime.inlineMaxUs) also get a main-thread session:
   * for them the worker round trip costs more than the run itself.
   */
  private async maybeEnableInline(loaded: LoadedModel): Promise<void> {
    const limitUs = this.config.runtime.inlineMaxUs;
    if (limitUs === 0 || !loaded.enableInline || !loaded.runInline) return;
    await this.timeRuns(loaded, 15, limitUs);
    if (this.meanInferUs === undefined || this.meanInferUs >= limitUs) return;
    await loaded.enableInline();
    this.inline = true;
  }

  /**
   * Times up to `count` single-row runs after warmup; the median seeds the mean (first runs are
   * cold). A model far slower than the limit stops after one run: its extra runs would only churn
   * memory during loads.
   */
  private async timeRuns(loaded: LoadedModel, count: number, limitUs: number): Promise<void> {
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      const { timings } = await loaded.run(0, loaded.signature.inputs.map((spec) => zeroTensor(spec, 1)));
      samples.push(timings.inferNs / 1000);
      if (i === 0 && samples[0]! > 4 * limitUs) break;
    }
    samples.sort((a, b) => a - b);
    this.meanInferUs = samples[Math.floor(samples.length / 2)];
  }

  private observeInfer(inferNs: number): void {
    const us = inferNs / 1000;
    this.meanInferUs = this.meanInferUs === undefined ? us : 0.9 * this.meanInferUs + 0.1 * us;
  }

  /**
   * Inline only for a lone request while nothing else of this version runs, and while runs stay
   * fast. An inline session with several threads (runtime.inlineIntraOpThreads) also waits for
   * the whole runtime to be idle, for no other request of the version to be in flight, and for
   * runtime.inlineQuietMs to pass since requests last overlapped: under concurrent load a lone
   * moment is the gap between two requests, and filling it with a run that blocks the loop and
   * spins both cores would delay the requests about to arrive.
   */
  private shouldRunInline(items: readonly BatchItem<WorkInput, Tensor[]>[]): boolean {
    const shared = this.config.runtime.inlineIntraOpThreads > 1;
    return this.inline && items.length === 1 && this.runningBatches === 1 && (this.batcher?.stats().queued ?? 0) === 0
      && (!shared || (this.refs <= 1 && this.clock.now() - this.lastOverlapMs >= this.config.runtime.inlineQuietMs
        && (this.loaded?.canRunInline?.() ?? true)))
      && this.meanInferUs !== undefined && this.meanInferUs < this.config.runtime.inlineMaxUs;
  }

  private async execute(loaded: LoadedModel, free: number[], items: BatchItem<WorkInput, Tensor[]>[]): Promise<BatchResult<Tensor[]>> {
    const instance = free.pop();
    if (instance === undefined) throw new Error('batcher dispatched more batches than instances');
    const m = this.m;
    this.runningBatches++;
    try {
      const rows = items.map((i) => i.rows);
      const total = rows.reduce((a, b) => a + b, 0);
      const inputs = items.length === 1 ? items[0]!.input.inputs : concatBatch(items.map((i) => i.input.inputs));
      const inline = this.shouldRunInline(items) && loaded.runInline !== undefined;
      const { outputs, timings } = inline ? await loaded.runInline!(inputs) : await loaded.run(instance, inputs);
      if (inline) m.inlineExecs.inc();
      // Inline decisions are about lone requests, so only single-row runs feed the mean.
      if (total === 1) this.observeInfer(timings.inferNs);
      this.stats.recordExecution(total, timings.inputNs, timings.inferNs, timings.outputNs);
      m.execCount.inc();
      m.inferenceCount.inc(total);
      m.batchSize.observe(total);
      const computeNs = timings.inputNs + timings.inferNs + timings.outputNs;
      m.computeSeconds.observe(computeNs / 1e9);
      m.computeInferUs.inc(timings.inferNs / 1000);
      if (items.length === 1) return { outputs: [outputs] };
      return { outputs: splitBatch(outputs, rows) };
    } finally {
      this.runningBatches--;
      free.push(instance);
    }
  }

  private async warmup(loaded: LoadedModel): Promise<void> {
    const sizes = this.maxBatchSize > 0 ? this.config.warmup.batchSizes.filter((b) => b <= this.maxBatchSize) : [1];
    for (const batch of sizes.length > 0 ? sizes : [1]) {
      const inputs = () => loaded.signature.inputs.map((spec) => zeroTensor(spec, this.maxBatchSize > 0 ? batch : 1));
      for (let n = 0; n < this.config.warmup.count; n++) {
        for (let i = 0; i < loaded.instances; i++) {
          if (this.abandoned) throw new Error('load abandoned after its timeout');
          await loaded.run(i, inputs());
        }
      }
    }
  }

  /** Stops taking requests, answers everything queued and running, then frees native memory. */
  async drainAndRelease(): Promise<void> {
    await this.idle();
    if (this.batcher) await this.batcher.close();
    const loaded = this.loaded;
    this.loaded = undefined;
    if (loaded) await loaded.release();
    this.m.forget();
  }
}

/** A zero-filled tensor for warmup; dynamic dims become `batch` (first) or 1. */
export function zeroTensor(spec: TensorSpec, batch: number): Tensor {
  const shape = spec.shape.map((d, i) => (d >= 0 ? d : i === 0 ? batch : 1));
  const n = elementCount(shape);
  const data = (() => {
    switch (spec.datatype) {
      case 'BOOL': case 'UINT8': return new Uint8Array(n);
      case 'INT8': return new Int8Array(n);
      case 'UINT16': case 'FP16': case 'BF16': return new Uint16Array(n);
      case 'INT16': return new Int16Array(n);
      case 'UINT32': return new Uint32Array(n);
      case 'INT32': return new Int32Array(n);
      case 'FP32': return new Float32Array(n);
      case 'FP64': return new Float64Array(n);
      case 'INT64': return new BigInt64Array(n);
      case 'UINT64': return new BigUint64Array(n);
      case 'BYTES': return Array.from({ length: n }, () => '');
    }
  })();
  return { name: spec.name, datatype: spec.datatype, shape, data };
}
