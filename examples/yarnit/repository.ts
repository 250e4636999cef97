/**
 * Builds the yarnit model repository: generates the shop and its raw logs, exports training rows
 * from the logs with each model's feature set (training-rows.ts), trains every model on them, and
 * publishes each version atomically (written to a hidden temp directory beside it, then renamed
 * into place), so a server polling the repository never sees half a version. Each version carries
 * the feature set it was trained with (features.json) and the training statistics of its features
 * (training-stats.json), so the server can assemble raw requests and watch for skew. With a data
 * directory, the build also ingests the entity logs into the feature store the server reads
 * (serving-data.ts).
 */
import { access, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FEATURES_FILE, TRAINING_STATS_FILE } from '../../src/features/index.js';
import { CATEGORY_NAMES } from './catalog.js';
import { generateShop } from './data.js';
import { featureLogs, writeLogFile } from './feature-logs.js';
import { PURCHASE_FEATURE_COUNT } from './features.js';
import { accuracy, auc, binaryAccuracy, logLoss, macroF1 } from './metrics.js';
import { purchaseOnnx, queryCategoryOnnx } from './onnx-export.js';
import { flopsPerRow, parameterCount, predictDense, trainDense } from './train-purchase.js';
import type { DenseModel, TrainOptions } from './train-purchase.js';
import { argMax, predictQuery, trainQueryModel } from './train-query.js';
import { exportPurchaseRows, exportQueryRows, type EntityLogFiles, type PurchaseRows, type QueryRows } from './training-rows.js';
import { FEATURE_STORE_FILE, RAW_REQUESTS_FILE, writeServingData } from './serving-data.js';

/** Every version the repository holds, as `<model>/<version>`. */
export const VERSIONS = ['purchase/1', 'purchase/2', 'query_category/1'] as const;

/** Files every version holds besides its own (labels.json for query_category). */
const VERSION_FILES = ['model.onnx', 'metrics.json', FEATURES_FILE, TRAINING_STATS_FILE] as const;

const PURCHASE_TRAINING: Record<1 | 2, Omit<TrainOptions, 'seed'> & { kind: string }> = {
  1: { kind: 'logistic_regression', hidden: [], epochs: 6, learningRate: 0.02, l2: 1e-5, batchRows: 64 },
  2: { kind: 'mlp_relu_32', hidden: [32], epochs: 12, learningRate: 0.005, l2: 1e-5, batchRows: 64 },
};

const PURCHASE_CONFIG = `# purchase: probability that a yarnit shopper buys the product shown for a search.
# Written by examples/yarnit/build.ts; rebuild rather than edit (see examples/yarnit/README.md).
# Version 1 is logistic regression (stable), version 2 a small MLP (canary).
maxBatchSize: 64
versionPolicy:
  all: true
labels:
  stable: 1
  canary: 2
`;

const QUERY_CONFIG = `# query_category: which shop category a search query is about (labels.json in the version).
# Written by examples/yarnit/build.ts; rebuild rather than edit (see examples/yarnit/README.md).
maxBatchSize: 64
`;

export type Metrics = Record<string, number | string>;

export interface BuildOptions {
  /** Where to write features.sqlite and raw-requests.jsonl (serving-data.ts); none when absent. */
  dataDir?: string;
}

export interface BuildResult {
  /** Metrics per `<model>/<version>`, as written to its metrics.json. */
  metrics: Record<string, Metrics>;
  /** The feature store and raw requests, when a data directory was given. */
  data?: { store: string; rawRequests: string };
}

/**
 * True when every version's files and each model's config.yaml exist under `outDir` (and, given a
 * data directory, the feature store and raw requests): a repository from before features.json is
 * not complete, so `--if-missing` rebuilds it once.
 */
export async function repositoryComplete(outDir: string, dataDir?: string): Promise<boolean> {
  const paths = [...VERSIONS.flatMap((v) => VERSION_FILES.map((f) => join(outDir, v, f))),
    join(outDir, 'purchase', 'config.yaml'), join(outDir, 'query_category', 'config.yaml'),
    ...(dataDir === undefined ? [] : [join(dataDir, FEATURE_STORE_FILE), join(dataDir, RAW_REQUESTS_FILE)])];
  try {
    await Promise.all(paths.map((p) => access(p)));
    return true;
  } catch {
    return false;
  }
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

async function publishVersion(modelDir: string, version: number, files: Record<string, Uint8Array | string>): Promise<void> {
  await mkdir(modelDir, { recursive: true });
  const finalDir = join(modelDir, String(version));
  const tempDir = join(modelDir, `.tmp-${version}-${process.pid}`);
  await rm(tempDir, { recursive: true, force: true });
  await mkdir(tempDir);
  for (const [name, content] of Object.entries(files)) await writeFile(join(tempDir, name), content);
  // rename() cannot replace a non-empty directory, so an old build steps aside first.
  const oldDir = join(modelDir, `.old-${version}-${process.pid}`);
  const hadOld = await access(finalDir).then(() => true, () => false);
  if (hadOld) await rename(finalDir, oldDir);
  await rename(tempDir, finalDir);
  if (hadOld) await rm(oldDir, { recursive: true, force: true });
}

async function publishFile(path: string, content: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, content);
  await rename(temp, path);
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function purchaseMetrics(model: DenseModel, kind: string, x: Float32Array, y: Uint8Array, trainRows: number, seed: number): Metrics {
  const p = predictDense(model, x, PURCHASE_FEATURE_COUNT);
  return {
    model: 'purchase', kind, seed, trainRows, heldOutRows: y.length,
    logLoss: round(logLoss(p, y)), auc: round(auc(p, y)), accuracy: round(binaryAccuracy(p, y)),
    parameters: parameterCount(model), flopsPerRow: flopsPerRow(model),
  };
}

async function buildPurchase(outDir: string, rows: PurchaseRows, seed: number, metrics: Record<string, Metrics>): Promise<void> {
  const cut = rows.trainY.length;
  for (const version of [1, 2] as const) {
    const { kind, ...options } = PURCHASE_TRAINING[version];
    const model = trainDense(rows.trainX, rows.trainY, PURCHASE_FEATURE_COUNT, { ...options, seed: seed + version });
    const m = purchaseMetrics(model, kind, rows.testX, rows.testY, cut, seed);
    metrics[`purchase/${version}`] = m;
    await publishVersion(join(outDir, 'purchase'), version, {
      'model.onnx': purchaseOnnx(model, version, `yarnit purchase likelihood, ${kind}`),
      'metrics.json': json(m),
      ...rows.meta,
    });
  }
  await publishFile(join(outDir, 'purchase', 'config.yaml'), PURCHASE_CONFIG);
}

async function buildQueryCategory(outDir: string, rows: QueryRows, seed: number, metrics: Record<string, Metrics>): Promise<void> {
  const classes = CATEGORY_NAMES.length;
  const qModel = trainQueryModel(rows.train, {
    classes, minCount: 2, epochs: 10, learningRate: 0.05, l2: 1e-5, batchRows: 32, seed: seed + 10,
  });
  const predicted = rows.heldOut.map((q) => argMax(predictQuery(qModel, q.query)));
  const actual = rows.heldOut.map((q) => q.category);
  const parameters = qModel.weights.length + qModel.bias.length;
  const qMetrics: Metrics = {
    model: 'query_category', kind: 'bag_of_words_softmax', seed, trainRows: rows.train.length, heldOutRows: rows.heldOut.length,
    accuracy: round(accuracy(predicted, actual)), macroF1: round(macroF1(predicted, actual, classes)),
    vocabulary: qModel.vocabulary.length, parameters, flopsPerRow: 2 * parameters,
  };
  metrics['query_category/1'] = qMetrics;
  await publishVersion(join(outDir, 'query_category'), 1, {
    'model.onnx': queryCategoryOnnx(qModel, CATEGORY_NAMES, 1),
    'labels.json': json(CATEGORY_NAMES),
    'metrics.json': json(qMetrics),
    ...rows.meta,
  });
  await publishFile(join(outDir, 'query_category', 'config.yaml'), QUERY_CONFIG);
}

/**
 * Generates the shop, exports its training rows, trains and writes the whole repository under
 * `outDir` (same seed, same bytes) and, given `dataDir`, the feature store and raw requests.
 * The logs and exported rows live in a temp directory that is removed at the end.
 */
export async function buildRepository(outDir: string, seed: number, options: BuildOptions = {}): Promise<BuildResult> {
  const logs = featureLogs(generateShop(seed));
  const workDir = await mkdtemp(join(tmpdir(), 'skein-yarnit-build-'));
  try {
    const entityFiles: EntityLogFiles = { users: join(workDir, 'users.jsonl'), products: join(workDir, 'products.csv') };
    await writeLogFile(entityFiles.users, logs.users);
    await writeLogFile(entityFiles.products, logs.products);
    const metrics: Record<string, Metrics> = {};
    await buildPurchase(outDir, await exportPurchaseRows(logs, entityFiles, workDir), seed, metrics);
    await buildQueryCategory(outDir, await exportQueryRows(logs, workDir), seed, metrics);
    if (options.dataDir === undefined) return { metrics };
    const data = await writeServingData(options.dataDir, logs, entityFiles);
    return { metrics, data: { store: data.store, rawRequests: data.rawRequests } };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
