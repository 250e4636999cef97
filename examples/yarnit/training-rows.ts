/**
 * Training rows for the yarnit models, made the way a team with real logs would make them: the
 * shop's raw logs (feature-logs.ts) go through the feature pipeline's exporter
 * (exportTrainingRows, the code behind `skein features export`) with the feature set the model is
 * served with, and the models train on what comes out. The server later assembles the same
 * features from a raw request with the same code, so what a version was trained on is what it
 * is served.
 *
 * The split is by log order, as before: the first TRAIN_SHARE of each log trains, the rest is
 * held out. Each part is exported on its own, so the training statistics the exporter writes
 * (training-stats.json, what skew monitoring compares served features with) describe the rows
 * the model was fitted on, not the held-out ones.
 *
 * The exported purchase rows are bit for bit the rows data.ts computes with purchaseFeatures(),
 * in the same order, and the normalized queries tokenize as the raw ones did, so the models (and
 * every golden output made from them) are unchanged by training this way.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportTrainingRows, FEATURES_FILE, TRAINING_STATS_FILE } from '../../src/features/index.js';
import { CATEGORY_NAMES } from './catalog.js';
import type { LabelledQuery } from './data.js';
import { writeLogFile, type FeatureLogs } from './feature-logs.js';
import { purchaseFeatureSet } from './feature-set.js';
import { PURCHASE_FEATURE_COUNT } from './features.js';
import { PURCHASE_INPUT, QUERY_INPUT } from './onnx-export.js';
import { queryCategoryFeatureSet } from './query-feature-set.js';

/** Share of each log used for training; the rest is held out for metrics. */
export const TRAIN_SHARE = 0.8;

/** What a version publishes beside its model: the exporter's features.json and training-stats.json. */
export interface FeatureMeta {
  [FEATURES_FILE]: string;
  [TRAINING_STATS_FILE]: string;
}

export interface PurchaseRows {
  trainX: Float32Array;
  trainY: Uint8Array;
  testX: Float32Array;
  testY: Uint8Array;
  meta: FeatureMeta;
}

export interface QueryRows {
  /** The normalized query text the model reads, and the category index. */
  train: LabelledQuery[];
  heldOut: LabelledQuery[];
  meta: FeatureMeta;
}

/** Where the entity logs the purchase export joins lie (written once by the caller). */
export interface EntityLogFiles {
  users: string;
  products: string;
}

interface ExportedRow {
  label: number | string;
  tensors: Record<string, (number | string)[]>;
}

/** Index of the first held-out row of a log of `rows` rows. */
export function trainCut(rows: number): number {
  return Math.floor(rows * TRAIN_SHARE);
}

async function readRows(file: string): Promise<ExportedRow[]> {
  const text = await readFile(file, 'utf8');
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as ExportedRow);
}

/** Exports one part of a log with `spec`; every event must come out (these are the shop's own logs). */
async function exportPart(workDir: string, part: string, spec: unknown, events: readonly Record<string, unknown>[],
  entityLogs: Parameters<typeof exportTrainingRows>[0]['entityLogs'], labelField: string): Promise<{ rows: ExportedRow[]; dir: string }> {
  const dir = join(workDir, part);
  const eventsFile = join(workDir, `${part}-events.jsonl`);
  await writeLogFile(eventsFile, events);
  const summary = await exportTrainingRows({
    spec, events: { file: eventsFile }, entityLogs, labelField, timeField: 'time',
    out: { file: join(dir, 'rows.jsonl'), format: 'jsonl' },
  });
  if (summary.written !== events.length) {
    throw new Error(`yarnit: the exporter skipped ${events.length - summary.written} of ${events.length} ${part} events: ${JSON.stringify(summary.rejects)}`);
  }
  return { rows: await readRows(summary.files.rows), dir };
}

async function metaOf(dir: string): Promise<FeatureMeta> {
  return {
    [FEATURES_FILE]: await readFile(join(dir, FEATURES_FILE), 'utf8'),
    [TRAINING_STATS_FILE]: await readFile(join(dir, TRAINING_STATS_FILE), 'utf8'),
  };
}

function purchaseMatrix(rows: readonly ExportedRow[]): { x: Float32Array; y: Uint8Array } {
  const x = new Float32Array(rows.length * PURCHASE_FEATURE_COUNT);
  const y = new Uint8Array(rows.length);
  rows.forEach((row, i) => {
    const values = row.tensors[PURCHASE_INPUT]!;
    if (values.length !== PURCHASE_FEATURE_COUNT) throw new Error(`yarnit: exported row ${i} has ${values.length} features, not ${PURCHASE_FEATURE_COUNT}`);
    x.set(values as number[], i * PURCHASE_FEATURE_COUNT);
    y[i] = row.label === 1 ? 1 : 0;
  });
  return { x, y };
}

/** Exports the purchase events (joined point-in-time with the user and product logs) and reads them back. */
export async function exportPurchaseRows(logs: FeatureLogs, entityFiles: EntityLogFiles, workDir: string): Promise<PurchaseRows> {
  const cut = trainCut(logs.events.length);
  const entityLogs = {
    user: { file: entityFiles.users, timeField: 'updated_at' },
    product: { file: entityFiles.products, timeField: 'updated_at' },
  };
  const train = await exportPart(workDir, 'purchase-train', purchaseFeatureSet, logs.events.slice(0, cut), entityLogs, 'purchased');
  const heldOut = await exportPart(workDir, 'purchase-heldout', purchaseFeatureSet, logs.events.slice(cut), entityLogs, 'purchased');
  const fit = purchaseMatrix(train.rows);
  const test = purchaseMatrix(heldOut.rows);
  return { trainX: fit.x, trainY: fit.y, testX: test.x, testY: test.y, meta: await metaOf(train.dir) };
}

function labelledQueries(rows: readonly ExportedRow[]): LabelledQuery[] {
  return rows.map((row, i) => {
    const category = CATEGORY_NAMES.indexOf(String(row.label));
    if (category < 0) throw new Error(`yarnit: exported query row ${i} has an unknown category ${JSON.stringify(row.label)}`);
    return { query: String(row.tensors[QUERY_INPUT]![0]), category };
  });
}

/** Exports the labelled query log (no entities) and reads back the normalized queries. */
export async function exportQueryRows(logs: FeatureLogs, workDir: string): Promise<QueryRows> {
  const cut = trainCut(logs.queries.length);
  const train = await exportPart(workDir, 'query-train', queryCategoryFeatureSet, logs.queries.slice(0, cut), {}, 'category');
  const heldOut = await exportPart(workDir, 'query-heldout', queryCategoryFeatureSet, logs.queries.slice(cut), {}, 'category');
  return { train: labelledQueries(train.rows), heldOut: labelledQueries(heldOut.rows), meta: await metaOf(train.dir) };
}
