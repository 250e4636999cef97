import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Command, Option } from 'commander';
import { isServingError, ServingError } from '../errors/index.js';
import {
  BATCH_CODES, DEFAULT_RETRY, INPUT_FORMATS, WHOLE, barProgress, checkRetryOptions, fileRejects, keyColumnIndex,
  loadBatchModel, logProgress, newRunId, NO_REJECTS_FILE, openInput, parseDefaultValue, parseMapping, parseModelRef,
  parseShard, runBatchJob, withRetry,
  type BatchModel, type InputFormat,
  addGateOptions, formatGateReport, gateConfigFromFlags, runGate, VALIDATE_EXIT, type GateFlags,
  checkRunId, checkSetName, createPredictionStore, type PredictionStore,
} from '../offline/index.js';
import { systemClock } from '../util/index.js';

/** Exit codes: 0 written (and passed its gate, when run); 1 failed; 2 bad flags; 3 gate failed. */
export const BATCH_EXIT = VALIDATE_EXIT;

const int = (name: string, min: number, max: number) => (v: string): number => {
  const n = Number(v);
  if (!/^[0-9]+$/.test(v) || n < min || n > max) throw new Error(`${name} must be an integer in [${min}, ${max}]`);
  return n;
};
const collect = (v: string, previous: string[] = []): string[] => [...previous, v];

interface BatchFlags extends GateFlags {
  modelRepository: string; model: string; input: string; inputFormat?: InputFormat; keyColumn: string; output: string;
  set?: string; run?: string; mapping?: string; batchSize: number; chunkRows: number; workers?: number;
  maxInFlightBatches?: number; maxPendingChunks: number; shard?: string; default?: string[]; rejects?: string; gate: boolean;
  storeRetryAttempts: number; storeRetryInitialDelayMs: number; storeRetryMaxDelayMs: number; progressIntervalMs: number;
}

function log(event: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify(event)}\n`);
}

async function runBatch(f: BatchFlags): Promise<number> {
  const ref = parseModelRef(f.model);
  const shard = f.shard === undefined ? WHOLE : parseShard(f.shard);
  const set = checkSetName(f.set ?? ref.model);
  const runId = checkRunId(f.run ?? newRunId());
  const defaultValue = parseDefaultValue(f.default ?? []);
  const retry = checkRetryOptions({ maxAttempts: f.storeRetryAttempts, initialDelayMs: f.storeRetryInitialDelayMs, maxDelayMs: f.storeRetryMaxDelayMs });
  const gateConfig = f.gate ? await gateConfigFromFlags(f) : undefined;
  const mapping = f.mapping === undefined ? undefined : parseMapping(await readFile(f.mapping, 'utf8').catch(() => {
    throw new ServingError(BATCH_CODES.usage, '--mapping cannot be read; check the path');
  }));
  const reader = await openInput(f.input, f.inputFormat);
  keyColumnIndex(reader.columns, f.keyColumn);
  const workers = f.workers ?? availableParallelism();
  let model: BatchModel | undefined;
  let store: PredictionStore | undefined;
  const rejects = f.rejects === undefined ? NO_REJECTS_FILE : fileRejects(f.rejects);
  try {
    model = await loadBatchModel(f.modelRepository, ref, workers);
    store = await withRetry('connect', () => createPredictionStore(f.output), retry, { clock: systemClock });
    const progress = process.stderr.isTTY ? barProgress(process.stderr, systemClock) : logProgress((l) => process.stderr.write(l), systemClock, f.progressIntervalMs);
    const summary = await runBatchJob({
      set, runId, keyColumn: f.keyColumn, mapping, batchSize: f.batchSize, chunkRows: f.chunkRows, shard, defaultValue, retry,
      maxInFlightBatches: f.maxInFlightBatches ?? 2 * model.loaded.instances, maxPendingChunks: f.maxPendingChunks,
    }, { store, model, reader, rejects, progress, clock: systemClock, log });
    const { run: _run, ...figures } = summary;
    log({ event: 'batch_summary', ...figures, model: model.model, version: model.version, shard: `${shard.index}/${shard.count}` });
    process.stdout.write(`${runId}\n`);
    if (!gateConfig) return BATCH_EXIT.passed;
    if (!summary.complete) {
      log({ event: 'gate_deferred', reason: 'other shards are still writing; the shard that finishes last runs the gate' });
      return BATCH_EXIT.passed;
    }
    const report = await runGate(store, { set, runId, rowsIn: summary.totalRows, config: gateConfig, ...(f.baseline === undefined ? {} : { baselineFile: f.baseline }) });
    process.stderr.write(formatGateReport(report, set, runId));
    return report.passed ? BATCH_EXIT.passed : BATCH_EXIT.failed;
  } finally {
    await rejects.close();
    await store?.close();
    await model?.close();
  }
}

/** `skein batch`: precompute predictions for every row of a file into a prediction store. */
export function batchCommand(): Command {
  const cmd = new Command('batch')
    .description('run a model over every row of a file (csv, jsonl, parquet) and write the predictions, keyed by a column, into a prediction store; prints the run id')
    .requiredOption('--model-repository <dir>', 'model repository: <dir>/<model>/<version>/model.onnx')
    .requiredOption('--model <name[:version]>', 'model, and a version number or label (default: the newest version)')
    .requiredOption('--input <file>', 'input rows: .csv (header row), .jsonl or .parquet')
    .addOption(new Option('--input-format <format>', 'input format when the extension does not say').choices([...INPUT_FORMATS]))
    .requiredOption('--key-column <column>', 'column whose value keys each prediction')
    .requiredOption('--output <url>', 'prediction store: sqlite://path (embedded), postgres://…, redis://…')
    .option('--set <name>', 'prediction set to write (default: the model name)')
    .option('--run <id>', 'run id; give an existing one to resume a killed job (default: a new one)')
    .option('--mapping <file>', 'YAML mapping of model inputs to columns: {inputs: {features: [c1, c2, …]}}')
    .option('--batch-size <rows>', 'rows per model run', int('--batch-size', 1, 65_536), 256)
    .option('--chunk-rows <rows>', 'input rows per committed chunk (resume with the same value)', int('--chunk-rows', 1, 10_000_000), 8192)
    .option('--workers <n>', 'model instances, one worker thread each (default: cores)', int('--workers', 1, 256))
    .option('--max-in-flight-batches <n>', 'batches queued or running at once (default: 2 × workers)', int('--max-in-flight-batches', 1, 4096))
    .option('--max-pending-chunks <n>', 'chunks read but not yet committed', int('--max-pending-chunks', 1, 1024), 4)
    .option('--shard <i/N>', 'take the keys whose hash mod N is i (Kubernetes: $JOB_COMPLETION_INDEX/N)')
    .option('--default <output=value>', 'value looked up for keys not precomputed, e.g. probability=0.01 (repeatable)', collect)
    .option('--rejects <file>', 'write rows that do not fit the model here (JSONL: line, key, reason)')
    .option('--no-gate', 'do not run the validation gate at the end')
    .option('--store-retry-attempts <n>', 'tries per store call before failing', int('--store-retry-attempts', 1, 100), DEFAULT_RETRY.maxAttempts)
    .option('--store-retry-initial-delay-ms <ms>', 'first backoff ceiling (doubles per retry, full jitter)', int('--store-retry-initial-delay-ms', 0, 600_000), DEFAULT_RETRY.initialDelayMs)
    .option('--store-retry-max-delay-ms <ms>', 'largest backoff', int('--store-retry-max-delay-ms', 0, 3_600_000), DEFAULT_RETRY.maxDelayMs)
    .option('--progress-interval-ms <ms>', 'without a terminal: one JSON progress line this often', int('--progress-interval-ms', 1, 3_600_000), 10_000);
  return addGateOptions(cmd).action(async (f: BatchFlags) => {
    try {
      process.exitCode = await runBatch(f);
    } catch (err) {
      process.stderr.write(`skein batch: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = isServingError(err) && err.code === BATCH_CODES.usage ? BATCH_EXIT.usage : BATCH_EXIT.error;
    }
  });
}
