/**
 * Builds the yarnit model repository: generates the shop, trains every model, and publishes
 * each version atomically (written to a hidden temp directory beside it, then renamed into
 * place), so a server polling the repository never sees half a version.
 */
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CATEGORY_NAMES } from './catalog.js';
import { generateShop } from './data.js';
import { PURCHASE_FEATURE_COUNT } from './features.js';
import { accuracy, auc, binaryAccuracy, logLoss, macroF1 } from './metrics.js';
import { purchaseOnnx, queryCategoryOnnx } from './onnx-export.js';
import { flopsPerRow, parameterCount, predictDense, trainDense } from './train-purchase.js';
import type { DenseModel, TrainOptions } from './train-purchase.js';
import { argMax, predictQuery, trainQueryModel } from './train-query.js';

/** Every version the repository holds, as `<model>/<version>`. */
export const VERSIONS = ['purchase/1', 'purchase/2', 'query_category/1'] as const;

/** Share of rows used for training; the rest is held out for metrics. */
const TRAIN_SHARE = 0.8;

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

export interface BuildResult {
  /** Metrics per `<model>/<version>`, as written to its metrics.json. */
  metrics: Record<string, Metrics>;
}

/** True when every version's model.onnx and each model's config.yaml exist under `outDir`. */
export async function repositoryComplete(outDir: string): Promise<boolean> {
  const paths = [...VERSIONS.map((v) => join(outDir, v, 'model.onnx')),
    join(outDir, 'purchase', 'config.yaml'), join(outDir, 'query_category', 'config.yaml')];
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

/** Generates, trains and writes the whole repository under `outDir`; same seed, same bytes. */
export async function buildRepository(outDir: string, seed: number): Promise<BuildResult> {
  const shop = generateShop(seed);
  const width = PURCHASE_FEATURE_COUNT;
  const cut = Math.floor(shop.labels.length * TRAIN_SHARE);
  const trainX = shop.features.subarray(0, cut * width);
  const trainY = shop.labels.subarray(0, cut);
  const testX = shop.features.subarray(cut * width);
  const testY = shop.labels.subarray(cut);
  const metrics: Record<string, Metrics> = {};

  for (const version of [1, 2] as const) {
    const { kind, ...options } = PURCHASE_TRAINING[version];
    const model = trainDense(trainX, trainY, width, { ...options, seed: seed + version });
    const m = purchaseMetrics(model, kind, testX, testY, cut, seed);
    metrics[`purchase/${version}`] = m;
    await publishVersion(join(outDir, 'purchase'), version, {
      'model.onnx': purchaseOnnx(model, version, `yarnit purchase likelihood, ${kind}`),
      'metrics.json': json(m),
    });
  }
  await publishFile(join(outDir, 'purchase', 'config.yaml'), PURCHASE_CONFIG);

  const qCut = Math.floor(shop.queries.length * TRAIN_SHARE);
  const classes = CATEGORY_NAMES.length;
  const qModel = trainQueryModel(shop.queries.slice(0, qCut), {
    classes, minCount: 2, epochs: 10, learningRate: 0.05, l2: 1e-5, batchRows: 32, seed: seed + 10,
  });
  const heldOut = shop.queries.slice(qCut);
  const predicted = heldOut.map((q) => argMax(predictQuery(qModel, q.query)));
  const actual = heldOut.map((q) => q.category);
  const parameters = qModel.weights.length + qModel.bias.length;
  const qMetrics: Metrics = {
    model: 'query_category', kind: 'bag_of_words_softmax', seed, trainRows: qCut, heldOutRows: heldOut.length,
    accuracy: round(accuracy(predicted, actual)), macroF1: round(macroF1(predicted, actual, classes)),
    vocabulary: qModel.vocabulary.length, parameters, flopsPerRow: 2 * parameters,
  };
  metrics['query_category/1'] = qMetrics;
  await publishVersion(join(outDir, 'query_category'), 1, {
    'model.onnx': queryCategoryOnnx(qModel, CATEGORY_NAMES, 1),
    'labels.json': json(CATEGORY_NAMES),
    'metrics.json': json(qMetrics),
  });
  await publishFile(join(outDir, 'query_category', 'config.yaml'), QUERY_CONFIG);
  return { metrics };
}
