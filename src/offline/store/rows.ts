import { ServingError } from '../../errors/index.js';
import type { ChunkRow, PredictionValue, RunInfo, RunStatus } from '../types.js';
import { checkKey, checkRunId, checkSetName } from './names.js';

/** A run as the SQL stores hold it (snake_case columns; `published` computed from the pointers). */
export interface RunRow {
  set_name: string;
  run_id: string;
  model: string;
  version: string;
  created_at: string;
  status: string;
  row_count: number | string;
  rejected_count: number | string;
  default_value: string;
  gate_report: string | null;
  forced: number | boolean;
  published_at: string | null;
  published: number | boolean;
}

export function runFromRow(row: RunRow): RunInfo {
  const info: RunInfo = {
    set: row.set_name,
    runId: row.run_id,
    model: row.model,
    version: row.version,
    createdAt: row.created_at,
    status: row.status as RunStatus,
    rowCount: Number(row.row_count),
    rejectedCount: Number(row.rejected_count),
    defaultValue: JSON.parse(row.default_value) as PredictionValue,
    published: Boolean(row.published),
  };
  if (row.gate_report !== null) info.gateReport = JSON.parse(row.gate_report) as unknown;
  if (row.forced) info.forced = true;
  if (row.published_at !== null) info.publishedAt = row.published_at;
  return info;
}

/** Checks a chunk's arguments before any store is touched, so a bad chunk writes nothing. */
export function checkChunk(set: string, runId: string, chunkIndex: number, rows: readonly ChunkRow[], rejected: number): void {
  checkSetName(set);
  checkRunId(runId);
  if (!Number.isSafeInteger(chunkIndex) || chunkIndex < 0) {
    throw new ServingError('INVALID_REQUEST', 'chunkIndex must be a non-negative integer');
  }
  if (!Number.isSafeInteger(rejected) || rejected < 0) {
    throw new ServingError('INVALID_REQUEST', 'rejected must be a non-negative integer');
  }
  for (const row of rows) {
    checkKey(row.key);
    checkValue(row.value);
  }
}

export function checkValue(value: unknown): PredictionValue {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ServingError('INVALID_REQUEST', 'a prediction value must be an object of output name → list of numbers or strings');
  }
  for (const data of Object.values(value)) {
    if (!Array.isArray(data)) {
      throw new ServingError('INVALID_REQUEST', 'a prediction value must be an object of output name → list of numbers or strings');
    }
  }
  return value as PredictionValue;
}

/** Rows a scan reads per query: bounds memory and keeps each statement short. */
export const SCAN_PAGE_ROWS = 1000;

export function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new ServingError('INVALID_REQUEST', 'the scan limit must be a non-negative integer');
  }
}
