import { ServingError } from '../../errors/index.js';
import { readJsonLines } from '../../util/index.js';
import type { PredictionStore, PredictionValue, RunInfo } from '../types.js';
import { checkKey, checkSetName } from '../store/index.js';

/** One set held in memory: the run it came from and every precomputed value by key. */
export interface MemoryTable {
  set: string;
  model: string;
  version: string;
  runId: string;
  defaultValue: PredictionValue;
  publishedAt: string | undefined;
  values: Map<string, PredictionValue>;
}

export function tooManyRows(maxRows: number): ServingError {
  return new ServingError('INVALID_CONFIG', `the prediction sets hold more than maxMemoryRows (${maxRows}) rows; serve them with --mode store or raise the limit`);
}

/** Loads a published run whole: at most budgetRows rows (one more fails, naming maxMemoryRows). */
export async function loadRun(store: PredictionStore, run: RunInfo, budgetRows: number, maxMemoryRows: number): Promise<MemoryTable> {
  const values = new Map<string, PredictionValue>();
  for await (const row of store.scanValues(run.set, run.runId, budgetRows + 1)) {
    if (values.size >= budgetRows) throw tooManyRows(maxMemoryRows);
    values.set(row.key, row.value);
  }
  return { set: run.set, model: run.model, version: run.version, runId: run.runId, defaultValue: run.defaultValue, publishedAt: run.publishedAt, values };
}

interface FileHeader {
  set: string;
  model: string;
  version: string;
  default: PredictionValue;
  run_id?: string;
  published_at?: string;
}

function badLine(line: number, why: string): ServingError {
  return new ServingError('INVALID_CONFIG', `prediction file line ${line}: ${why} (see docs/offline.md for the format)`);
}

function isValue(v: unknown): v is PredictionValue {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(Array.isArray);
}

function parseHeader(obj: Record<string, unknown>): FileHeader {
  const { set, model, version } = obj;
  if (typeof model !== 'string' || typeof version !== 'string' || !isValue(obj.default)) {
    throw badLine(1, 'the header must be {"set", "model", "version", "default": {output: [values]}}');
  }
  if (obj.published_at !== undefined && (typeof obj.published_at !== 'string' || !Number.isFinite(Date.parse(obj.published_at)))) {
    throw badLine(1, 'published_at must be an ISO 8601 time');
  }
  return { ...(obj as unknown as FileHeader), set: checkSetName(set) };
}

function asObject(obj: unknown, line: number): Record<string, unknown> {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw badLine(line, 'not a JSON object');
  return obj as Record<string, unknown>;
}

/**
 * Reads a flat file: JSON lines, the first a header, then one {"key", "value"} per line.
 * Blank lines are skipped; a repeated key keeps its last value.
 */
export async function loadFile(path: string, maxRows: number): Promise<MemoryTable> {
  try {
    return await readFile(path, maxRows);
  } catch (err) {
    if (err instanceof ServingError) throw err;
    throw new ServingError('INVALID_CONFIG', 'a prediction file cannot be read; check that it exists and is readable', { path, cause: String(err) });
  }
}

async function readFile(path: string, maxRows: number): Promise<MemoryTable> {
  let header: FileHeader | undefined;
  const values = new Map<string, PredictionValue>();
  const lines = readJsonLines(path, {
    unreadable: () => new ServingError('INVALID_CONFIG', 'a prediction file cannot be read; check that it exists and is readable', { path }),
    invalid: (line) => badLine(line, 'not valid JSON'),
  });
  for await (const { line, value } of lines) {
    const obj = asObject(value, line);
    if (header === undefined) {
      header = parseHeader(obj);
      continue;
    }
    if (!isValue(obj.value)) throw badLine(line, 'value must be an object of output name → list');
    try {
      values.set(checkKey(obj.key), obj.value);
    } catch (err) {
      throw badLine(line, (err as Error).message);
    }
    if (values.size > maxRows) throw tooManyRows(maxRows);
  }
  if (header === undefined) throw badLine(1, 'the file is empty; it needs a header line');
  return {
    set: header.set,
    model: header.model,
    version: header.version,
    runId: header.run_id ?? 'file',
    defaultValue: header.default,
    publishedAt: header.published_at,
    values,
  };
}
