/**
 * skein batch throughput against in-process onnxruntime on the same model and batch size
 * (issue 5's target: ≥ 0.7× on 1M rows). Prints figures; asserts nothing.
 *
 *   node --import tsx bench/offline-batch.bench.ts            # 1,000,000 rows
 *   BENCH_ROWS=100000 node --import tsx bench/offline-batch.bench.ts
 *
 * Model: the yarnit purchase v2 MLP (FP32 [batch,16] → probability), built into a temp dir.
 * Input: a CSV of user × product × hour rows (key + 16 feature columns), written once per run.
 * skein batch: the real job (CSV parse, encode, worker-thread runtime with one instance per core,
 * SQLite writes of every row, no gate). Baseline: one onnxruntime session in this process
 * (intra-op threads = cores) running the same rows, already parsed into one Float32Array, in
 * batches of the same size, and nothing else: the ceiling of the model alone.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { generateShop } from '../examples/yarnit/data.js';
import { purchaseFeatures, PURCHASE_FEATURES } from '../examples/yarnit/features.js';
import { buildRepository } from '../examples/yarnit/repository.js';
import { DEFAULT_RETRY, loadBatchModel, NO_REJECTS_FILE, openInput, parseMapping, runBatchJob, WHOLE } from '../src/offline/batch/index.js';
import { createPredictionStore } from '../src/offline/store/index.js';
import { systemClock } from '../src/util/index.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const BATCH = Number(process.env.BENCH_BATCH_SIZE ?? 256);
const WORKERS = Number(process.env.BENCH_WORKERS ?? availableParallelism());

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

const dir = await mkdtemp(join(tmpdir(), 'skein-bench-batch-'));
try {
  await buildRepository(join(dir, 'repo'), 42);
  const features = await writeInput(join(dir, 'pairs.csv'));
  const modelPath = join(dir, 'repo', 'purchase', '2', 'model.onnx');
  const ceiling = await baseline(modelPath, features);
  const job = await skeinBatch(join(dir, 'repo'), join(dir, 'pairs.csv'), join(dir, 'pred.db'));
  const ratio = job / ceiling;
  console.log(JSON.stringify({ rows: ROWS, batchSize: BATCH, workers: WORKERS, skeinBatchRowsPerS: Math.round(job), onnxruntimeInProcessRowsPerS: Math.round(ceiling), ratio: Number(ratio.toFixed(3)) }));
  console.log(`skein batch ${Math.round(job)} rows/s, in-process onnxruntime ${Math.round(ceiling)} rows/s: ${ratio.toFixed(3)}× (target ≥ 0.7×) ${ratio >= 0.7 ? 'PASS' : 'MISS'}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
