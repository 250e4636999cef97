import { extname } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { ServingError } from '../errors/index.js';
import { openInput } from '../offline/batch/input.js';
import { readJsonLines } from '../util/index.js';

/**
 * Streams the rows of an event log or entity log as objects. CSV goes through the batch job's
 * reader (openInput); JSONL and Parquet do not, since openInput fixes JSONL columns from the
 * first line and a log's later lines may carry fields the first lacks. CSV: a header row, every
 * value text. JSONL: one object per line (blank lines
 * skipped). Parquet: whole row groups at a time (bounded by the file's row-group size); INT64
 * values become numbers, timestamps ISO-8601 text in UTC.
 * A corrupt file is INPUT_INVALID naming the line or row; an unreadable one INVALID_CONFIG.
 */
export type RecordFormat = 'csv' | 'jsonl' | 'parquet';
export const RECORD_FORMATS: readonly RecordFormat[] = ['csv', 'jsonl', 'parquet'];

export interface SourceRecord {
  values: Record<string, unknown>;
  /** Line (CSV, JSONL; header included) or row (Parquet), 1-based. */
  position: number;
}

export function recordFormatOf(path: string, label: string): RecordFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.parquet') return 'parquet';
  throw new ServingError('INVALID_CONFIG', `${label} must end in .csv, .jsonl, .ndjson or .parquet, or give its format`);
}

function corrupt(label: string, where: string, why: string): ServingError {
  return new ServingError('INPUT_INVALID', `${label} is corrupt at ${where}: ${why}`);
}

function unreadable(label: string): ServingError {
  return new ServingError('INVALID_CONFIG', `${label} cannot be read; check the path`);
}

function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : String(v);
  if (v instanceof Date) return v.toISOString();
  return v;
}

/** CSV through the batch job's reader (Papa Parse, paused when the consumer lags), as objects by header name. */
async function* csvRecords(path: string, label: string): AsyncGenerator<SourceRecord> {
  const reader = await openInput(path, 'csv', { label });
  const { columns } = reader;
  for await (const rows of reader.rows()) {
    for (const row of rows) {
      const values: Record<string, unknown> = {};
      for (let i = 0; i < columns.length; i++) values[columns[i]!] = row.values[i];
      yield { values, position: row.position };
    }
  }
}

async function* jsonlRecords(path: string, label: string): AsyncGenerator<SourceRecord> {
  const errors = { unreadable: () => unreadable(label), invalid: (line: number) => corrupt(label, `line ${line}`, 'not valid JSON') };
  for await (const { line, value } of readJsonLines(path, errors)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw corrupt(label, `line ${line}`, 'not a JSON object');
    yield { values: value as Record<string, unknown>, position: line };
  }
}

async function* parquetRecords(path: string, label: string): AsyncGenerator<SourceRecord> {
  const file = await asyncBufferFromFile(path).catch(() => { throw unreadable(label); });
  const metadata = await parquetMetadataAsync(file).catch(() => { throw corrupt(label, 'the footer', 'not a Parquet file'); });
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const objects = await parquetReadObjects({ file, metadata, rowStart, rowEnd }).catch(() => {
      throw corrupt(label, `rows ${rowStart + 1}-${rowEnd}`, 'a row group cannot be decoded');
    });
    for (let i = 0; i < objects.length; i++) {
      const values: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(objects[i]!)) values[k] = plain(v);
      yield { values, position: rowStart + i + 1 };
    }
    rowStart = rowEnd;
  }
}

/** The rows of `path`, streamed; `label` names the file in messages (never its path). */
export function readRecords(path: string, format: RecordFormat, label: string): AsyncIterable<SourceRecord> {
  if (format === 'csv') return csvRecords(path, label);
  if (format === 'jsonl') return jsonlRecords(path, label);
  return parquetRecords(path, label);
}
