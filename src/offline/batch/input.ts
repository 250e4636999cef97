import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { parse as parseCsv } from 'csv-parse';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import type { FileMetaData } from 'hyparquet';
import { ServingError } from '../../errors/index.js';
import { BATCH_CODES } from './errors.js';

/**
 * Streaming readers for the batch job's input. Each yields rows as arrays aligned to `columns`
 * (known before the first row, so a missing column fails before any work) with the row's
 * position: its line in CSV and JSONL (1-based, header included), its row in Parquet (1-based).
 */
export type InputFormat = 'csv' | 'jsonl' | 'parquet';
export const INPUT_FORMATS: readonly InputFormat[] = ['csv', 'jsonl', 'parquet'];

export interface InputRow {
  values: unknown[];
  position: number;
}

export interface InputReader {
  readonly format: InputFormat;
  readonly columns: readonly string[];
  /** The unit of progress: file bytes (CSV, JSONL) or rows (Parquet). */
  readonly progressTotal: number;
  progressDone(): number;
  rows(): AsyncIterable<InputRow>;
}

export function formatOf(path: string): InputFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.parquet') return 'parquet';
  throw new ServingError(BATCH_CODES.usage, '--input must end in .csv, .jsonl, .ndjson or .parquet, or say --input-format csv|jsonl|parquet');
}

function corrupt(format: InputFormat, where: string, why: string): ServingError {
  return new ServingError(BATCH_CODES.inputInvalid, `--input (${format}) is corrupt at ${where}: ${why}`);
}

export async function openInput(path: string, format: InputFormat = formatOf(path)): Promise<InputReader> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new ServingError(BATCH_CODES.usage, '--input cannot be read; check the path');
  }
  if (format === 'csv') return openCsv(path, size);
  if (format === 'jsonl') return openJsonl(path, size);
  return openParquet(path);
}

interface CsvRecord { record: string[]; info: { lines: number; bytes: number } }

async function openCsv(path: string, size: number): Promise<InputReader> {
  const file = createReadStream(path);
  const parser = parseCsv({ info: true, bom: true, skip_empty_lines: true });
  file.on('error', (err) => parser.destroy(err));
  const it = file.pipe(parser)[Symbol.asyncIterator]() as AsyncIterator<CsvRecord>;
  const fail = (err: unknown): never => {
    const e = err as { code?: string; lines?: number };
    throw corrupt('csv', `line ${e.lines ?? '?'}`, e.code ?? 'unreadable');
  };
  const first = await it.next().catch(fail);
  if (first.done) throw corrupt('csv', 'line 1', 'no header row');
  let bytes = first.value.info.bytes;
  return {
    format: 'csv',
    columns: first.value.record,
    progressTotal: size,
    progressDone: () => bytes,
    async *rows() {
      for (;;) {
        const next = await it.next().catch(fail);
        if (next.done) return;
        bytes = next.value.info.bytes;
        yield { values: next.value.record, position: next.value.info.lines };
      }
    },
  };
}

async function openJsonl(path: string, size: number): Promise<InputReader> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity })[Symbol.asyncIterator]();
  let line = 0;
  let bytes = 0;
  const nextObject = async (): Promise<Record<string, unknown> | undefined> => {
    for (;;) {
      const next = await lines.next();
      if (next.done) return undefined;
      line++;
      bytes += next.value.length + 1;
      if (next.value.trim() === '') continue;
      let v: unknown;
      try {
        v = JSON.parse(next.value);
      } catch {
        throw corrupt('jsonl', `line ${line}`, 'not valid JSON');
      }
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw corrupt('jsonl', `line ${line}`, 'not a JSON object');
      return v as Record<string, unknown>;
    }
  };
  const first = await nextObject();
  const columns = first ? Object.keys(first) : [];
  const toRow = (o: Record<string, unknown>): InputRow => ({ values: columns.map((c) => o[c]), position: line });
  return {
    format: 'jsonl',
    columns,
    progressTotal: size,
    progressDone: () => bytes,
    async *rows() {
      if (!first) return;
      yield toRow(first);
      for (let o = await nextObject(); o; o = await nextObject()) yield toRow(o);
    },
  };
}

async function openParquet(path: string): Promise<InputReader> {
  const file = await asyncBufferFromFile(path);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch {
    throw corrupt('parquet', 'the footer', 'not a Parquet file');
  }
  const columns = parquetSchema(metadata).children.map((c) => c.element.name);
  let done = 0;
  return {
    format: 'parquet',
    columns,
    progressTotal: Number(metadata.num_rows),
    progressDone: () => done,
    async *rows() {
      let rowStart = 0;
      // Whole row groups at a time: a slice inside a group would decode the group again.
      for (const group of metadata.row_groups) {
        const rowEnd = rowStart + Number(group.num_rows);
        let objects: Record<string, unknown>[];
        try {
          objects = await parquetReadObjects({ file, metadata, rowStart, rowEnd, columns });
        } catch {
          throw corrupt('parquet', `rows ${rowStart + 1}-${rowEnd}`, 'a row group cannot be decoded');
        }
        for (let i = 0; i < objects.length; i++) {
          done = rowStart + i + 1;
          yield { values: columns.map((c) => objects[i]![c]), position: rowStart + i + 1 };
        }
        rowStart = rowEnd;
      }
    },
  };
}
