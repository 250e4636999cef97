import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import type { FileMetaData } from 'hyparquet';
import Papa from 'papaparse';
import { ServingError } from '../../errors/index.js';
import { BATCH_CODES } from './errors.js';

/**
 * Streaming readers for the batch job's input. Each yields runs of rows as arrays aligned to `columns`
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
  /** Rows in input order, handed over in runs of rows already read (never empty). */
  rows(): AsyncIterable<readonly InputRow[]>;
}

export function formatOf(path: string): InputFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.parquet') return 'parquet';
  throw new ServingError(BATCH_CODES.usage, '--input must end in .csv, .jsonl, .ndjson or .parquet, or say --input-format csv|jsonl|parquet');
}

function corrupt(label: string, format: InputFormat, where: string, why: string): ServingError {
  return new ServingError(BATCH_CODES.inputInvalid, `${label} (${format}) is corrupt at ${where}: ${why}`);
}

export interface InputOptions {
  /** CSV: bytes read from the file at a time (default CSV_READ_CHUNK_BYTES). */
  csvReadChunkBytes?: number;
  /** CSV: the longest record, in bytes read (default CSV_MAX_RECORD_BYTES). */
  csvMaxRecordBytes?: number;
  /** How messages name the file (never by its path); default `--input`. */
  label?: string;
}

export async function openInput(path: string, format: InputFormat = formatOf(path), options: InputOptions = {}): Promise<InputReader> {
  const label = options.label ?? '--input';
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new ServingError(BATCH_CODES.usage, `${label} cannot be read; check the path`);
  }
  if (format === 'csv') {
    return openCsv(path, size, options.csvReadChunkBytes ?? CSV_READ_CHUNK_BYTES, options.csvMaxRecordBytes ?? CSV_MAX_RECORD_BYTES, label);
  }
  if (format === 'jsonl') return openJsonl(path, size, label);
  return openParquet(path, label);
}

/** How many bytes the CSV reader takes from the file at a time. */
export const CSV_READ_CHUNK_BYTES = 1 << 20;
/** Parsed CSV chunks held ahead of the job; the file is paused beyond it, so memory stays flat. */
export const CSV_MAX_QUEUED_CHUNKS = 4;
/**
 * The longest CSV record. Papa Parse keeps an open quoted field whole until it closes, so a quote
 * that never closes would otherwise hold the rest of the file in memory.
 */
export const CSV_MAX_RECORD_BYTES = 16 << 20;

interface CsvChunk {
  records: string[][];
  /** Index in `records` of the first record Papa Parse found malformed (an unclosed or stray quote). */
  errorAt: number | undefined;
  /** The record after `records` grew past the record limit; reading stopped. */
  overlong?: true;
}

/** Line breaks inside a record's quoted fields: a record spans 1 + this many lines. */
function embeddedBreaks(record: readonly string[]): number {
  let n = 0;
  for (const field of record) {
    for (let i = field.indexOf('\n'); i >= 0; i = field.indexOf('\n', i + 1)) n++;
  }
  return n;
}

/**
 * CSV through Papa Parse in chunk mode (about 8× csv-parse's rate here, see docs/offline.md).
 * Parsed chunks queue up to CSV_MAX_QUEUED_CHUNKS, then both the parser and the file pause until
 * the job catches up. Positions are file lines: a record's line plus the line breaks inside its
 * quoted fields, counted only once the file has shown a quote. Empty lines are skipped; a record
 * with another number of fields than the header, or a malformed quote, is corruption.
 */
async function openCsv(path: string, size: number, readChunkBytes: number, maxRecordBytes: number, label: string): Promise<InputReader> {
  const file = createReadStream(path, { encoding: 'utf8', highWaterMark: readChunkBytes });
  let bytes = 0;
  let quoted = false;
  // Registered before Papa Parse's own listener, so `quoted` is set before a chunk is parsed.
  file.on('data', (text: string | Buffer) => {
    const s = text as string;
    bytes += Buffer.byteLength(s);
    if (!quoted && s.includes('"')) quoted = true;
  });
  const queue: CsvChunk[] = [];
  /** Bytes read when a chunk last completed a record. */
  let bytesAtRecord = 0;
  let ended = false;
  let failure: ServingError | undefined;
  let paused: Papa.Parser | undefined;
  let wake: (() => void) | undefined;
  const signal = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  Papa.parse<string[]>(file, {
    delimiter: ',',
    quoteChar: '"',
    skipEmptyLines: false,
    // Papa Parse strips a byte-order mark from string input only.
    beforeFirstChunk: (text) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text),
    chunk(results, parser) {
      const quoteError = results.errors.find((e) => e.type === 'Quotes');
      if (results.data.length > 0) bytesAtRecord = bytes;
      if (bytes - bytesAtRecord > maxRecordBytes) {
        queue.push({ records: results.data, errorAt: quoteError?.row, overlong: true });
        parser.abort();
        file.destroy();
        signal();
        return;
      }
      queue.push({ records: results.data, errorAt: quoteError?.row });
      if (queue.length >= CSV_MAX_QUEUED_CHUNKS) {
        paused = parser;
        parser.pause();
        file.pause();
      }
      signal();
    },
    complete() {
      ended = true;
      signal();
    },
    error() {
      failure = corrupt(label, 'csv', `byte ${bytes}`, 'unreadable');
      signal();
    },
  });
  const nextChunk = async (): Promise<CsvChunk | undefined> => {
    for (;;) {
      if (failure) throw failure;
      const chunk = queue.shift();
      if (chunk) {
        if (paused && queue.length < CSV_MAX_QUEUED_CHUNKS) {
          const parser = paused;
          paused = undefined;
          parser.resume();
          file.resume();
        }
        return chunk;
      }
      if (ended) return undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  };

  let line = 1;
  let current: CsvChunk | undefined;
  let at = 0;
  /** The next non-empty record and its line; throws at a malformed quote. */
  const nextRecord = async (): Promise<InputRow | undefined> => {
    for (;;) {
      while (!current || at === current.records.length) {
        if (current?.overlong) {
          throw corrupt(label, 'csv', `line ${line}`, `a record is longer than ${maxRecordBytes} bytes (a quote that is not closed?)`);
        }
        current = await nextChunk();
        at = 0;
        if (!current) return undefined;
      }
      const i = at++;
      const record = current.records[i]!;
      const position = line;
      line += 1 + (quoted ? embeddedBreaks(record) : 0);
      if (current.errorAt === i) throw corrupt(label, 'csv', `line ${position}`, 'a quote is not closed, or text follows a closing quote');
      if (record.length === 1 && record[0] === '') continue;
      return { values: record, position };
    }
  };

  let header: InputRow | undefined;
  try {
    header = await nextRecord();
  } catch (err) {
    file.destroy();
    throw err;
  }
  if (!header) {
    file.destroy();
    throw corrupt(label, 'csv', 'line 1', 'no header row');
  }
  const columns = header.values as string[];
  const width = columns.length;
  return {
    format: 'csv',
    columns,
    progressTotal: size,
    progressDone: () => bytes,
    async *rows() {
      try {
        for (;;) {
          const chunk: InputRow[] = [];
          // Everything already parsed, in one hand-over: no await per row.
          do {
            const row = await nextRecord();
            if (!row) {
              if (chunk.length > 0) yield chunk;
              return;
            }
            if (row.values.length !== width) {
              if (chunk.length > 0) yield chunk;
              throw corrupt(label, 'csv', `line ${row.position}`, `${row.values.length} fields where the header has ${width}`);
            }
            chunk.push(row);
          } while (current !== undefined && at < current.records.length);
          yield chunk;
        }
      } finally {
        file.destroy();
      }
    },
  };
}

async function openJsonl(path: string, size: number, label: string): Promise<InputReader> {
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
        throw corrupt(label, 'jsonl', `line ${line}`, 'not valid JSON');
      }
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw corrupt(label, 'jsonl', `line ${line}`, 'not a JSON object');
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
      yield [toRow(first)];
      for (let o = await nextObject(); o; o = await nextObject()) yield [toRow(o)];
    },
  };
}

async function openParquet(path: string, label: string): Promise<InputReader> {
  const file = await asyncBufferFromFile(path);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch {
    throw corrupt(label, 'parquet', 'the footer', 'not a Parquet file');
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
          throw corrupt(label, 'parquet', `rows ${rowStart + 1}-${rowEnd}`, 'a row group cannot be decoded');
        }
        const rows = objects.map((o, i) => ({ values: columns.map((c) => o[c]), position: rowStart + i + 1 }));
        done = rowEnd;
        if (rows.length > 0) yield rows;
        rowStart = rowEnd;
      }
    },
  };
}
