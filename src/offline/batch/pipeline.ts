import { ServingError } from '../../errors/index.js';
import type { LoadedModel } from '../../runtime/index.js';
import type { Tensor, TensorData } from '../../tensor/index.js';
import type { ChunkRow, PredictionValue } from '../types.js';
import { allocateBatch, encodeRow, toTensors } from './encode.js';
import { BATCH_CODES } from './errors.js';
import type { InputPlan } from './mapping.js';

export interface PipelineLimits {
  /** Rows per model run. */
  batchSize: number;
  /** Batches running or queued on the runtime at once; reading waits beyond it. */
  maxInFlightBatches: number;
  /** Chunks read but not yet committed; reading waits beyond it. */
  maxPendingChunks: number;
}

export type WriteChunk = (chunkId: number, rows: ChunkRow[], rejected: number) => Promise<void>;

interface Chunk {
  id: number;
  skip: boolean;
  rejected: number;
  batches: Promise<ChunkRow[]>[];
}

/** Splits a batch's output tensors back into one PredictionValue per row. */
export function splitOutputs(outputs: readonly Tensor[], keys: readonly string[]): ChunkRow[] {
  const rows: ChunkRow[] = keys.map((key) => ({ key, value: {} as PredictionValue }));
  for (const t of outputs) {
    const width = keys.length === 0 ? 0 : t.data.length / keys.length;
    const data: ArrayLike<unknown> = t.data as unknown as ArrayLike<unknown>;
    for (let r = 0; r < keys.length; r++) {
      const out = new Array<unknown>(width);
      for (let j = 0; j < width; j++) {
        const v = data[r * width + j];
        out[j] = typeof v === 'bigint' ? Number(v) : v;
      }
      rows[r]!.value[t.name] = out as number[] | string[];
    }
  }
  return rows;
}

/**
 * Rows in, committed chunks out. Accepted rows are encoded straight into batch buffers; a full
 * batch goes to the next model instance (round robin) as soon as fewer than maxInFlightBatches
 * run; a chunk is committed once all its batches answered. Reading waits on both bounds, so
 * memory stays flat however large the input. The first failure stops the pipeline and is
 * thrown from the next call (and from finish()).
 */
export class ChunkPipeline {
  private chunk: Chunk | undefined;
  private batch: TensorData[];
  private keys: string[] = [];
  private readonly scratch: TensorData[];
  private inFlight = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private readonly pending = new Set<Promise<void>>();
  private failure: unknown;
  private nextInstance = 0;
  rowsWritten = 0;
  chunksWritten = 0;
  chunksSkipped = 0;

  constructor(
    private readonly plans: readonly InputPlan[],
    private readonly model: LoadedModel,
    private readonly limits: PipelineLimits,
    private readonly write: WriteChunk,
  ) {
    this.batch = allocateBatch(plans, limits.batchSize);
    this.scratch = allocateBatch(plans, 1);
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  startChunk(id: number, skip: boolean): void {
    this.check();
    this.chunk = { id, skip, rejected: 0, batches: [] };
  }

  /** Encodes a row of the current chunk; returns why it does not fit the model, if it does not. */
  encode(values: readonly unknown[]): string | undefined {
    if (this.chunk?.skip) return encodeRow(this.plans, values, this.scratch, 0);
    return encodeRow(this.plans, values, this.batch, this.keys.length);
  }

  reject(): void {
    this.chunk!.rejected++;
  }

  /** Adds an encoded row; returns a promise only when the row filled a batch that must be dispatched. */
  accept(key: string): Promise<void> | undefined {
    if (this.chunk!.skip) return undefined;
    this.keys.push(key);
    return this.keys.length === this.limits.batchSize ? this.dispatch(this.chunk!) : undefined;
  }

  private async dispatch(chunk: Chunk): Promise<void> {
    const keys = this.keys;
    if (keys.length === 0) return;
    const inputs = toTensors(this.plans, this.batch, keys.length, this.limits.batchSize);
    this.keys = [];
    // A full batch's arrays may be transferred to a worker; never write into them again.
    this.batch = allocateBatch(this.plans, this.limits.batchSize);
    while (this.inFlight >= this.limits.maxInFlightBatches) await new Promise<void>((r) => this.slotWaiters.push(r));
    this.check();
    this.inFlight++;
    const instance = this.nextInstance++ % this.model.instances;
    const run = this.model.run(instance, inputs).then(
      ({ outputs }) => splitOutputs(outputs, keys),
      (err: unknown) => {
        throw new ServingError(BATCH_CODES.inferenceFailed, 'the model failed on a batch; no rows of its chunk were written', {
          cause: err instanceof Error ? err.message : String(err),
        });
      },
    ).finally(() => {
      this.inFlight--;
      this.slotWaiters.shift()?.();
    });
    run.catch(() => undefined);
    chunk.batches.push(run);
  }

  /** Ends the current chunk: its last partial batch runs, then the chunk is committed. */
  async endChunk(): Promise<void> {
    const chunk = this.chunk;
    if (!chunk) return;
    this.chunk = undefined;
    if (chunk.skip) {
      this.chunksSkipped++;
      return;
    }
    await this.dispatch(chunk);
    const done = Promise.all(chunk.batches)
      .then(async (parts) => {
        const rows = parts.flat();
        await this.write(chunk.id, rows, chunk.rejected);
        this.rowsWritten += rows.length;
        this.chunksWritten++;
      })
      .catch((err: unknown) => {
        this.failure ??= err;
      });
    const tracked: Promise<void> = done.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
    while (this.pending.size > this.limits.maxPendingChunks) await Promise.race(this.pending);
    this.check();
  }

  /** Waits for every chunk to be committed; throws the first failure. */
  async finish(): Promise<void> {
    await this.endChunk();
    while (this.pending.size > 0) await Promise.race(this.pending);
    this.check();
  }
}
