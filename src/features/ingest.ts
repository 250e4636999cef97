import { ServingError } from '../errors/index.js';
import { Rejects, entityUpdateOf } from './entity-log.js';
import { readRecords, recordFormatOf, type RecordFormat } from './records.js';
import { NAME_PATTERN } from './spec.js';
import { FEATURE_STORE_BATCH_MAX, type EntityUpdate, type FeatureStore } from './store/index.js';

/**
 * Loads an entity log into the feature store, streaming: rows are read and put in batches of
 * batchRows, so memory holds one batch. Latest wins by the row's time (the store's contract), so
 * ingesting an older file after a newer one, or rows out of order, never goes back in time.
 * Rows without a usable id or time are skipped and counted.
 */
export interface IngestOptions {
  store: FeatureStore;
  entity: string;
  file: string;
  format?: RecordFormat;
  idField: string;
  timeField: string;
  /** Rows per store round trip (default and most FEATURE_STORE_BATCH_MAX). */
  batchRows?: number;
}

export interface IngestSummary {
  rows: number;
  written: number;
  stale: number;
  expired: number;
  rejected: number;
  /** The first rejected rows: line (or Parquet row) and why. */
  rejects: { position: number; reason: string }[];
}

export async function ingestEntities(options: IngestOptions): Promise<IngestSummary> {
  const { store, entity, file, idField, timeField } = options;
  if (!NAME_PATTERN.test(entity)) throw new ServingError('INVALID_CONFIG', 'the entity name must match [A-Za-z_][A-Za-z0-9_]*');
  const batchRows = options.batchRows ?? FEATURE_STORE_BATCH_MAX;
  if (!Number.isInteger(batchRows) || batchRows < 1 || batchRows > FEATURE_STORE_BATCH_MAX) {
    throw new ServingError('INVALID_CONFIG', `batchRows must be an integer in [1, ${FEATURE_STORE_BATCH_MAX}]`);
  }
  const format = options.format ?? recordFormatOf(file, 'the entity file');
  const summary = { rows: 0, written: 0, stale: 0, expired: 0 };
  const rejects = new Rejects();
  let batch: EntityUpdate[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const r = await store.put(entity, batch);
    summary.written += r.written;
    summary.stale += r.stale;
    summary.expired += r.expired;
    batch = [];
  };
  for await (const record of readRecords(file, format, 'the entity file')) {
    summary.rows++;
    const row = entityUpdateOf(record.values, { idField, timeField });
    if (!row.ok) {
      rejects.add(record.position, row.reason);
      continue;
    }
    batch.push(row.update);
    if (batch.length === batchRows) await flush();
  }
  await flush();
  return { ...summary, rejected: rejects.count, rejects: rejects.first };
}
