import { ServingError } from '../../errors/index.js';
import type { Clock } from '../../util/index.js';
import { checkKey } from '../store/index.js';
import type { PredictionStore, PredictionValue, RunInfo } from '../types.js';
import { BATCH_CODES, quoteName } from './errors.js';
import type { InputReader } from './input.js';
import { keyColumnIndex, planInputs } from './mapping.js';
import type { InputMapping } from './mapping.js';
import type { BatchModel } from './model.js';
import { ChunkPipeline } from './pipeline.js';
import type { PipelineLimits } from './pipeline.js';
import type { Progress } from './progress.js';
import type { RejectsSink } from './rejects.js';
import { withRetry } from './retry.js';
import type { RetryOptions } from './retry.js';
import { chunkId, inShard } from './shard.js';
import type { Shard } from './shard.js';

export interface BatchJobOptions extends PipelineLimits {
  set: string;
  runId: string;
  keyColumn: string;
  mapping: InputMapping | undefined;
  /**
   * Input rows per chunk: chunk c holds input rows [c·chunkRows, (c+1)·chunkRows). A resumed
   * job must use the same chunkRows and shard count, since they decide what a chunk holds.
   */
  chunkRows: number;
  shard: Shard;
  defaultValue: PredictionValue;
  retry: RetryOptions;
}

export interface BatchJobDeps {
  store: PredictionStore;
  model: BatchModel;
  reader: InputReader;
  rejects: RejectsSink;
  progress: Progress;
  clock: Clock;
  /** Structured events (retries), for logs. */
  log?: (event: Record<string, unknown>) => void;
}

export interface BatchSummary {
  set: string;
  runId: string;
  /** Rows of this shard read from the input. */
  rowsIn: number;
  /** Rows in the whole input, every shard's: the run's rows in once every shard is done. */
  totalRows: number;
  /** Rows this process wrote (resumed chunks excluded). */
  rowsWritten: number;
  rowsRejected: number;
  chunksWritten: number;
  chunksSkipped: number;
  /**
   * Whether the run is complete: every chunk of every shard is committed. The shard that sees
   * this last completes the run; the others leave it `writing` for it.
   */
  complete: boolean;
  run: RunInfo;
}

function keyOf(cell: unknown): string | undefined {
  if (typeof cell === 'string') return cell === '' ? undefined : cell;
  if (typeof cell === 'number' || typeof cell === 'bigint') return String(cell);
  return undefined;
}

/** Why a key cannot be stored (the store's own rule), or undefined. */
function badKey(key: string | undefined, keyColumn: string): string | undefined {
  if (key === undefined) return `key column ${quoteName(keyColumn)} is empty`;
  try {
    checkKey(key);
    return undefined;
  } catch (err) {
    return err instanceof ServingError ? err.message : 'the key cannot be stored';
  }
}

/** Whether every shard committed every chunk of an input of `chunks` chunks. */
export function allCommitted(committed: ReadonlySet<number>, chunks: number, shards: number): boolean {
  for (let c = 0; c < chunks; c++) {
    for (let s = 0; s < shards; s++) if (!committed.has(chunkId(c, { index: s, count: shards }))) return false;
  }
  return true;
}

/** Refuses to resume into a run of another model or version, or one already published. */
function checkResumable(existing: RunInfo | undefined, model: BatchModel): void {
  if (!existing) return;
  if (existing.model !== model.model || existing.version !== model.version) {
    throw new ServingError(BATCH_CODES.usage, `run ${quoteName(existing.runId)} was written by another model or version; resume it with --model ${existing.model}:${existing.version}`);
  }
  if (existing.published) {
    throw new ServingError(BATCH_CODES.usage, `run ${quoteName(existing.runId)} is published and cannot be written again; start a new run`);
  }
}

/**
 * The batch job: reads the input once, writes every chunk it has not committed before, and
 * completes the run. It never publishes. Columns are checked before the store is touched.
 */
export async function runBatchJob(o: BatchJobOptions, deps: BatchJobDeps): Promise<BatchSummary> {
  const { store, model, reader, rejects } = deps;
  const plans = planInputs(model.loaded.signature, reader.columns, o.mapping);
  const keyIndex = keyColumnIndex(reader.columns, o.keyColumn);
  const hooks = {
    clock: deps.clock,
    onRetry: (what: string, attempt: number, delayMs: number, err: unknown) => deps.log?.({
      event: 'store_retry', what, attempt, delayMs, error: err instanceof Error ? err.message : String(err),
    }),
  };
  const retry = <T>(what: string, op: () => Promise<T>): Promise<T> => withRetry(what, op, o.retry, hooks);

  const existing = await retry('getRun', () => store.getRun(o.set, o.runId));
  checkResumable(existing, model);
  await retry('beginRun', () => store.beginRun({ set: o.set, runId: o.runId, model: model.model, version: model.version, defaultValue: o.defaultValue }));
  const committed = await retry('committedChunks', () => store.committedChunks(o.set, o.runId));
  const pipeline = new ChunkPipeline(plans, model.loaded, o, (id, rows, rejected) =>
    retry('writeChunk', () => store.writeChunk(o.set, o.runId, id, rows, rejected)));

  let rowIndex = 0;
  let chunk = -1;
  let rowsIn = 0;
  let rowsRejected = 0;
  const snapshot = () => ({ rows: rowsIn, done: reader.progressDone(), total: reader.progressTotal });
  for await (const rows of reader.rows()) {
    for (const row of rows) {
      const c = Math.floor(rowIndex++ / o.chunkRows);
      if (c !== chunk) {
        await pipeline.endChunk();
        chunk = c;
        const id = chunkId(c, o.shard);
        pipeline.startChunk(id, committed.has(id));
      }
      const key = keyOf(row.values[keyIndex]);
      if (!inShard(key ?? '', o.shard)) continue;
      rowsIn++;
      const reason = badKey(key, o.keyColumn) ?? pipeline.encode(row.values);
      if (reason !== undefined) {
        rowsRejected++;
        pipeline.reject();
        await rejects.write({ line: row.position, key: key ?? '', reason });
      } else {
        // Only a full batch waits (for a free slot); the other rows take no trip through the event loop.
        const full = pipeline.accept(key!);
        if (full) await full;
      }
      if ((rowsIn & 1023) === 0) deps.progress.update(snapshot());
    }
  }
  await pipeline.finish();
  deps.progress.stop(snapshot());
  const chunks = Math.ceil(rowIndex / o.chunkRows);
  const done = await retry('committedChunks', () => store.committedChunks(o.set, o.runId));
  const complete = allCommitted(done, chunks, o.shard.count);
  let run = await retry('getRun', () => store.getRun(o.set, o.runId));
  if (complete && run?.status === 'writing') run = await retry('completeRun', () => store.completeRun(o.set, o.runId));
  return {
    set: o.set, runId: o.runId, rowsIn, totalRows: rowIndex, rowsWritten: pipeline.rowsWritten, rowsRejected,
    chunksWritten: pipeline.chunksWritten, chunksSkipped: pipeline.chunksSkipped, complete, run: run!,
  };
}
