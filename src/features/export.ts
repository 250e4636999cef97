import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ServingError, isServingError } from '../errors/index.js';
import { summarize, type SummarizeOptions } from '../monitoring/drift/index.js';
import { compileFeatureSet, featureKinds, type CompiledFeatureSet } from './compile.js';
import { Rejects } from './entity-log.js';
import { FEATURES_FILE, saveFeatureSet } from './files.js';
import { parseRaw } from './raw.js';
import { readRecords, recordFormatOf, type RecordFormat } from './records.js';
import { computeRow, vectorOf, writeBytesRow, writeFp32Row, type ComputedRow } from './row.js';
import { LineWriter, csvCell, jsonLinesSync } from './row-writer.js';
import { ttlFor } from './store/common.js';
import { loadTimeline, type EntityTimeline } from './timeline.js';
import { asNumber, asString, parseInstantMs } from './values.js';

/**
 * The training side of the feature pipeline: event logs → training rows, point-in-time correct.
 * For each event, each entity's values are the ones in force AT the event's time (the latest
 * update at or before it, never a later one, however late it arrived in the log), and then the
 * assembler's own code (computeRow) makes the features: one implementation, so what a model
 * trains on is what it is served.
 *
 * Writes, besides the rows: training-stats.json (the drift statistics of every feature) and
 * features.json (the spec and its schema hash), into out.metaDir (default: beside out.file).
 * Memory: every entity log whole (see timeline.ts; maxEntityLogRows each), the events streamed.
 * Events without a valid time, label or raw field are skipped and counted, never fatal.
 */
export interface EntityLogOptions {
  file: string;
  format?: RecordFormat;
  /** Default: the entity's keyField in the spec. */
  idField?: string;
  timeField: string;
}

export interface ExportOptions {
  /** A spec (validated here) or one compiled already. */
  spec: unknown;
  events: { file: string; format?: RecordFormat };
  /** One log per entity the spec declares. */
  entityLogs: Readonly<Record<string, EntityLogOptions>>;
  out: { file: string; format: 'jsonl' | 'csv'; metaDir?: string };
  labelField: string;
  /** The events' time field: epoch milliseconds, or ISO-8601 with an offset. */
  timeField: string;
  /** The store's TTLs, to drop expired values exactly as serving does (parity). */
  ttlMs?: number | Readonly<Record<string, number>>;
  maxEntityLogRows?: number;
  stats?: SummarizeOptions;
}

export interface ExportSummary {
  events: number;
  written: number;
  rejected: number;
  rejects: { position: number; reason: string }[];
  /** Feature values that were missing and took their default. */
  missing: number;
  /** Per entity: events whose entity had no id, or no update in force at the event's time. */
  missingEntities: Record<string, number>;
  entityLogs: Record<string, { rows: number; rejected: number }>;
  schemaHash: string;
  files: { rows: string; stats: string; spec: string };
}

export const TRAINING_STATS_FILE = 'training-stats.json';
/** Fixed columns of a CSV export; no feature may take these names there. */
export const CSV_FIXED_COLUMNS = ['event_time', 'label'] as const;

function isCompiled(spec: unknown): spec is CompiledFeatureSet {
  return typeof spec === 'object' && spec !== null && 'rawFields' in spec && 'schemaHash' in spec;
}

function labelOf(v: unknown): number | string | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === '' || v === null || v === undefined) return undefined;
  return asNumber(v) ?? asString(v);
}

function tensorRows(set: CompiledFeatureSet, row: ComputedRow): Record<string, (number | string)[]> {
  const out = Object.create(null) as Record<string, (number | string)[]>;
  for (const t of set.tensors) {
    if (t.datatype === 'BYTES') {
      const data = new Array<string>(t.width);
      writeBytesRow(set, t, row, data, 0);
      out[t.name] = data;
    } else {
      const data = new Float32Array(t.width);
      writeFp32Row(set, t, row, data, 0);
      out[t.name] = Array.from(data);
    }
  }
  return out;
}

function csvHeader(set: CompiledFeatureSet): string {
  const taken = set.features.find((f) => (CSV_FIXED_COLUMNS as readonly string[]).includes(f.name));
  if (taken) throw new ServingError('INVALID_CONFIG', `feature "${taken.name}" takes a column name a CSV export reserves (${CSV_FIXED_COLUMNS.join(', ')}); export JSONL or rename it`);
  const tensorColumns = set.tensors.flatMap((t) => Array.from({ length: t.width }, (_, i) => `${t.name}[${i}]`));
  return [...CSV_FIXED_COLUMNS, ...set.features.map((f) => f.name), ...tensorColumns].map(csvCell).join(',');
}

async function loadTimelines(set: CompiledFeatureSet, o: ExportOptions): Promise<Map<string, EntityTimeline>> {
  for (const name of Object.keys(o.entityLogs)) {
    if (!set.entities.some((e) => e.name === name)) throw new ServingError('INVALID_CONFIG', `entity log "${name}" names no entity of the feature set`);
  }
  const timelines = new Map<string, EntityTimeline>();
  for (const e of set.entities) {
    const log = o.entityLogs[e.name];
    if (!log) throw new ServingError('INVALID_CONFIG', `the feature set reads entity "${e.name}"; give its update log`);
    const label = `the ${e.name} log`;
    const format = log.format ?? recordFormatOf(log.file, label);
    const ttl = ttlFor(o.ttlMs, e.name);
    timelines.set(e.name, await loadTimeline(
      { file: log.file, format, label, idField: log.idField ?? e.keyField, timeField: log.timeField },
      { ...(o.maxEntityLogRows === undefined ? {} : { maxRows: o.maxEntityLogRows }), ...(ttl === undefined ? {} : { ttlMs: ttl }) },
    ));
  }
  return timelines;
}

/** One event: its training row, or why it was skipped. */
type EventOutcome = { ok: true; line: string; vector: Record<string, number | string | null>; missing: number } | { ok: false; reason: string };

interface EventContext {
  set: CompiledFeatureSet;
  o: ExportOptions;
  csv: boolean;
  timelines: ReadonlyMap<string, EntityTimeline>;
  missingEntities: Record<string, number>;
}

function exportEvent(values: Record<string, unknown>, c: EventContext): EventOutcome {
  const { set, o } = c;
  const timeMs = parseInstantMs(values[o.timeField]);
  if (timeMs === undefined) return { ok: false, reason: `field "${o.timeField}" must hold epoch milliseconds or an ISO-8601 time with an offset` };
  const label = labelOf(values[o.labelField]);
  if (label === undefined) return { ok: false, reason: `field "${o.labelField}" (the label) is missing` };
  let parsed;
  try {
    parsed = parseRaw(set, values);
  } catch (err) {
    if (isServingError(err) && err.code === 'INVALID_RAW_INPUT') return { ok: false, reason: err.message };
    throw err;
  }
  const entities = set.entities.map((e) => {
    const id = parsed.keys[e.index];
    const found = id === undefined ? undefined : c.timelines.get(e.name)!.asOf(id, timeMs);
    if (found === undefined) c.missingEntities[e.name]!++;
    return found;
  });
  const row = computeRow(set, parsed.row, entities);
  const vector = vectorOf(set, row);
  const tensors = tensorRows(set, row);
  const eventTime = new Date(timeMs).toISOString();
  const line = c.csv
    ? [eventTime, label, ...set.features.map((f) => vector[f.name]!), ...set.tensors.flatMap((t) => tensors[t.name]!)].map(csvCell).join(',')
    : JSON.stringify({ event_time: eventTime, label, features: vector, tensors });
  return { ok: true, line, vector, missing: row.missing };
}

export async function exportTrainingRows(o: ExportOptions): Promise<ExportSummary> {
  const set = isCompiled(o.spec) ? o.spec : compileFeatureSet(o.spec);
  const header = o.out.format === 'csv' ? csvHeader(set) : undefined;
  const timelines = await loadTimelines(set, o);
  const eventsFormat = o.events.format ?? recordFormatOf(o.events.file, 'the events file');
  const metaDir = o.out.metaDir ?? dirname(o.out.file);
  await mkdir(metaDir, { recursive: true });
  await mkdir(dirname(o.out.file), { recursive: true });
  const statsPath = join(metaDir, TRAINING_STATS_FILE);
  const rowsTmp = `${o.out.file}.${process.pid}.tmp`;
  const vectorsTmp = `${statsPath}.${process.pid}.rows.tmp`;
  const rows = new LineWriter(rowsTmp);
  const vectors = new LineWriter(vectorsTmp);
  const rejects = new Rejects();
  const context: EventContext = { set, o, csv: header !== undefined, timelines, missingEntities: Object.fromEntries(set.entities.map((e) => [e.name, 0])) };
  const totals = { events: 0, written: 0, missing: 0 };
  try {
    if (header !== undefined) await rows.write(header);
    for await (const record of readRecords(o.events.file, eventsFormat, 'the events file')) {
      totals.events++;
      const out = exportEvent(record.values, context);
      if (!out.ok) {
        rejects.add(record.position, out.reason);
        continue;
      }
      await rows.write(out.line);
      await vectors.write(JSON.stringify(out.vector));
      totals.written++;
      totals.missing += out.missing;
    }
    await rows.close();
    await vectors.close();
    // The one call into the drift statistics (src/monitoring/drift): a second, synchronous pass
    // over the vectors just written, so memory stays bounded by summarize's own options.
    const stats = summarize(featureKinds(set), jsonLinesSync(vectorsTmp), o.stats ?? {});
    await writeFile(statsPath, `${JSON.stringify(stats)}\n`, 'utf8');
    await rename(rowsTmp, o.out.file);
  } finally {
    await rows.close().catch(() => undefined);
    await vectors.close().catch(() => undefined);
    await rm(vectorsTmp, { force: true });
    await rm(rowsTmp, { force: true });
  }
  await saveFeatureSet(metaDir, set.spec);
  const entityLogs = Object.fromEntries([...timelines].map(([name, t]) => [name, { rows: t.rows, rejected: t.rejected.count }]));
  return {
    ...totals, rejected: rejects.count, rejects: rejects.first, missingEntities: context.missingEntities, entityLogs,
    schemaHash: set.schemaHash,
    files: { rows: o.out.file, stats: statsPath, spec: join(metaDir, FEATURES_FILE) },
  };
}
