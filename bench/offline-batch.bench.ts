/**
 * skein batch throughput against in-process onnxruntime on the same model and batch size
 * (issue 5's target: ≥ 0.7× on 1M rows). Prints figures; asserts nothing.
 *
 *   node --import tsx bench/offline-batch.bench.ts            # 1,000,000 rows
 *   BENCH_ROWS=100000 node --import tsx bench/offline-batch.bench.ts
 *   BENCH_REPEATS=3 …                                          # measurements per side (default 2)
 *
 * Every measurement runs in a fresh child process; the two jobs alternate.
 *
 * Model: the yarnit purchase v2 MLP (FP32 [batch,16] → probability), built into a temp dir.
 * Input: a CSV of user × product × hour rows (key + 16 feature columns), written once per run.
 * skein batch: the real job (CSV parse, encode, worker-thread runtime with one instance per core,
 * SQLite writes of every row, no gate). Two in-process onnxruntime runs, one session with
 * intra-op threads = cores, batches of the same size:
 * - the script a team would write for the same job: the same CSV file through the same parser
 *   (Papa Parse, chunk mode), Number() per cell into a Float32Array, `session.run` per batch,
 *   each prediction inserted as JSON into a SQLite table keyed by the row key, one transaction per
 *   8,192 rows. The target is judged against this one.
 * - the model alone: the same rows already parsed into one Float32Array, and nothing else. For a
 *   model this small no job that reads text can come near it; it is printed as the ceiling.
 */
import { createReadStream } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import ort from 'onnxruntime-node';
import Papa from 'papaparse';
import { generateShop } from '../examples/yarnit/data.js';
import { purchaseFeatures, PURCHASE_FEATURES } from '../examples/yarnit/features.js';
import { buildRepository } from '../examples/yarnit/repository.js';
import { DEFAULT_RETRY, loadBatchModel, NO_REJECTS_FILE, openInput, parseMapping, runBatchJob, WHOLE } from '../src/offline/batch/index.js';
import { createPredictionStore } from '../src/offline/store/index.js';
import { systemClock } from '../src/util/index.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const BATCH = Number(process.env.BENCH_BATCH_SIZE ?? 256);
const WORKERS = Number(process.env.BENCH_WORKERS ?? availableParallelism());
const REPEATS = Number(process.env.BENCH_REPEATS ?? 2);

async function writeInput(path: string): Promise<Float32Array> {
  const shop = generateShop(42);
  const features = new Float32Array(ROWS * 16);
  const lines: string[] = [['pair', ...PURCHASE_FEATURES].join(',')];
  let i = 0;
  outer: for (let h = 0; h < 24; h++) {
    for (const user of shop.users) {
      for (const product of shop.products) {
        if (i === ROWS) break outer;
        const f = purchaseFeatures({ query: product.title, product, user, hourOfDay: h, dayOfWeek: 3 });
        features.set(f, i * 16);
        lines.push(`${user.id}|${product.id}|${h},${Array.from(f).join(',')}`);
        i++;
      }
    }
  }
  if (i < ROWS) throw new Error(`at most ${i} distinct rows`);
  await writeFile(path, `${lines.join('\n')}\n`);
  return features;
}

async function baseline(modelPath: string, features: Float32Array): Promise<number> {
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: WORKERS, executionMode: 'sequential' });
  const start = performance.now();
  for (let r = 0; r < ROWS; r += BATCH) {
    const n = Math.min(BATCH, ROWS - r);
    await session.run({ features: new ort.Tensor('float32', features.subarray(r * 16, (r + n) * 16), [n, 16]) });
  }
  const seconds = (performance.now() - start) / 1000;
  await session.release();
  return ROWS / seconds;
}

/** The hand-written in-process job: parse, run, insert, one thread of JavaScript. */
async function inProcessJob(modelPath: string, input: string, db: string): Promise<number> {
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: WORKERS, executionMode: 'sequential' });
  const sqlite = new Database(db);
  sqlite.pragma('journal_mode = WAL');
  sqlite.exec('CREATE TABLE predictions (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
  const insert = sqlite.prepare('INSERT INTO predictions (key, value) VALUES (?, ?)');
  const insertAll = sqlite.transaction((keys: string[], values: string[]) => {
    for (let i = 0; i < keys.length; i++) insert.run(keys[i], values[i]);
  });
  const start = performance.now();
  let header = true;
  let batch = new Float32Array(BATCH * 16);
  let keys: string[] = [];
  let pendingKeys: string[] = [];
  let pendingValues: string[] = [];
  let written = 0;
  const runBatch = async (): Promise<void> => {
    const n = keys.length;
    const out = await session.run({ features: new ort.Tensor('float32', batch.subarray(0, n * 16), [n, 16]) });
    const p = out.probability!.data as Float32Array;
    for (let i = 0; i < n; i++) {
      pendingKeys.push(keys[i]!);
      pendingValues.push(JSON.stringify({ probability: [p[i]] }));
    }
    keys = [];
    batch = new Float32Array(BATCH * 16);
    if (pendingKeys.length >= 8192) flush();
  };
  const flush = (): void => {
    insertAll(pendingKeys, pendingValues);
    written += pendingKeys.length;
    pendingKeys = [];
    pendingValues = [];
  };
  await new Promise<void>((resolve, reject) => {
    Papa.parse<string[]>(createReadStream(input, { encoding: 'utf8', highWaterMark: 1 << 20 }), {
      delimiter: ',',
      skipEmptyLines: true,
      chunk(results, parser) {
        parser.pause();
        void (async () => {
          for (const row of results.data) {
            if (header) {
              header = false;
              continue;
            }
            const at = keys.length * 16;
            for (let j = 0; j < 16; j++) batch[at + j] = Number(row[j + 1]);
            keys.push(row[0]!);
            if (keys.length === BATCH) await runBatch();
          }
          parser.resume();
        })().catch(reject);
      },
      complete: () => {
        (async () => {
          if (keys.length > 0) await runBatch();
          flush();
        })().then(resolve, reject);
      },
      error: reject,
    });
  });
  const seconds = (performance.now() - start) / 1000;
  if (written !== ROWS) throw new Error(`the in-process job wrote ${written} rows, expected ${ROWS}`);
  sqlite.close();
  await session.release();
  return ROWS / seconds;
}

async function skeinBatch(repo: string, input: string, db: string): Promise<number> {
  const model = await loadBatchModel(repo, { model: 'purchase', version: '2' }, WORKERS);
  const store = await createPredictionStore(`sqlite://${db}`);
  const reader = await openInput(input);
  const start = performance.now();
  const summary = await runBatchJob({
    set: 'purchase', runId: 'bench', keyColumn: 'pair', mapping: parseMapping(`inputs: {features: [${PURCHASE_FEATURES.join(', ')}]}`),
    batchSize: BATCH, chunkRows: 8192, shard: WHOLE, defaultValue: { probability: [0.01] }, retry: DEFAULT_RETRY,
    maxInFlightBatches: 2 * WORKERS, maxPendingChunks: 4,
  }, { store, model, reader, rejects: NO_REJECTS_FILE, progress: { update: () => undefined, stop: () => undefined }, clock: systemClock });
  const seconds = (performance.now() - start) / 1000;
  if (summary.run.rowCount !== ROWS) throw new Error(`wrote ${summary.run.rowCount} rows, expected ${ROWS}`);
  await store.close();
  await model.close();
  return ROWS / seconds;
}

type Part = 'model' | 'script' | 'skein';

/** One measurement in this process: the parent hands over the prepared directory. */
async function runPart(part: Part, dir: string): Promise<number> {
  const modelPath = join(dir, 'repo', 'purchase', '2', 'model.onnx');
  if (part === 'model') return baseline(modelPath, new Float32Array((await readFile(join(dir, 'features.f32'))).buffer.slice(0)));
  if (part === 'script') return inProcessJob(modelPath, join(dir, 'pairs.csv'), join(dir, `script-${process.pid}.db`));
  return skeinBatch(join(dir, 'repo'), join(dir, 'pairs.csv'), join(dir, `pred-${process.pid}.db`));
}

/** Each measurement runs in a fresh process, so none inherits another's heap, threads or files in cache order. */
function measure(part: Part, dir: string): number {
  const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    env: { ...process.env, BENCH_PART: part, BENCH_DIR: dir }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
  });
  return Number(JSON.parse(out.trim().split('\n').pop()!).rowsPerS);
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

if (process.env.BENCH_PART) {
  const rowsPerS = await runPart(process.env.BENCH_PART as Part, process.env.BENCH_DIR!);
  console.log(JSON.stringify({ part: process.env.BENCH_PART, rowsPerS }));
} else {
  const dir = await mkdtemp(join(tmpdir(), 'skein-bench-batch-'));
  try {
    await buildRepository(join(dir, 'repo'), 42);
    const features = await writeInput(join(dir, 'pairs.csv'));
    await writeFile(join(dir, 'features.f32'), features);
    const ceiling = measure('model', dir);
    const scripts: number[] = [];
    const jobs: number[] = [];
    // Interleaved, so a slow spell of the machine falls on both sides.
    for (let r = 0; r < REPEATS; r++) {
      scripts.push(measure('script', dir));
      jobs.push(measure('skein', dir));
    }
    const script = mean(scripts);
    const job = mean(jobs);
    const ratio = job / script;
    console.log(JSON.stringify({
      rows: ROWS, batchSize: BATCH, workers: WORKERS, repeats: REPEATS, skeinBatchRowsPerS: jobs.map(Math.round),
      inProcessJobRowsPerS: scripts.map(Math.round), modelAloneRowsPerS: Math.round(ceiling), ratio: Number(ratio.toFixed(3)),
    }));
    console.log(`skein batch ${Math.round(job)} rows/s, in-process onnxruntime job (parse, run, insert) ${Math.round(script)} rows/s (means of ${REPEATS}): ${ratio.toFixed(2)}× (target ≥ 0.7×) ${ratio >= 0.7 ? 'PASS' : 'MISS'}`);
    console.log(`the model alone in-process: ${Math.round(ceiling)} rows/s (skein batch reaches ${(job / ceiling).toFixed(3)}× of it: reading text costs more than this model)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
