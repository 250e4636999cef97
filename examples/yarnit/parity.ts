/**
 * Training/serving parity for yarnit: for held-out events, the features the exporter computes
 * from the logs (what a model trains on) must be identical to the features the serving path
 * assembles from the same raw request and the feature store (what the model is served).
 *
 *   const report = await checkParity({ repositoryDir: 'examples/yarnit/models', storeUrl: 'examples/yarnit/data/features.sqlite' });
 *   // report.mismatchCount === 0
 *
 *   npx tsx examples/yarnit/parity.ts --repository examples/yarnit/models --store examples/yarnit/data/features.sqlite [--model query_category]
 *
 * Which events can be compared. The exporter joins each event with the entity values in force at
 * the event's time; the store holds the latest values. The two agree exactly when no entity of
 * the event changed after the event, and only then: an event before a later update (every 5th
 * user and 6th product change after the last event, see feature-logs.ts) would get today's price
 * from the store, which is the store being fresh, not skew. So the check takes the held-out
 * events whose entities' last logged update is at or before the event's time, a choice made from
 * the log times alone (never from the values compared), and counts the others as `updatedLater`.
 * Late-arriving first updates and stale rows stay in: for those events the store's latest-wins
 * and the exporter's point-in-time join must see through the same mess. The premise that the
 * store holds the latest logged values is itself checked: each entity's stored update time must be
 * its last one in the log (reported as `<entity>.updatedAtMs`). The alternative, a store
 * ingested only up to each event's time, would test a store nobody serves; this checks the one
 * the server opens.
 *
 * What is compared: every feature of the vector (intermediate ones too: tokens, categories,
 * ratios before clipping), numbers exactly, missing as missing. With the default assembler (in
 * process, over storeUrl) also every column of every input tensor, the FP32 values the model
 * reads. `assemble` replaces the default, to point the check at a server (the HTTP variant): it
 * takes raw rows and answers their vectors, in order.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createFeatureAssembler, createFeatureStore, exportTrainingRows, loadFeatureSet, parseInstantMs,
  type CompiledFeatureSet, type FeatureStore,
} from '../../src/features/index.js';
import { generateShop } from './data.js';
import { featureLogs, writeLogFile, type FeatureLogs } from './feature-logs.js';
import { rawRowOf } from './serving-data.js';
import { trainCut } from './training-rows.js';

/** Events compared by default, as issue 6 asks. */
export const PARITY_EXAMPLES = 1000;
/** Mismatches listed in a report; all are counted. */
export const MAX_REPORTED_MISMATCHES = 100;
/** Rows per assemble call (the assembler takes up to 4096; a server may take fewer). */
export const DEFAULT_ASSEMBLE_BATCH_ROWS = 250;

export type FeatureVector = Record<string, number | string | null>;
export type RawRow = Record<string, unknown>;
/** Raw rows in, their feature vectors out, in the same order. */
export type AssembleVectors = (rows: readonly RawRow[]) => Promise<FeatureVector[]>;
export type ParityModel = 'purchase' | 'query_category';

export interface ParityOptions {
  /** The model repository the build wrote; the version's features.json is the feature set checked. */
  repositoryDir: string;
  /** The feature store the server reads (the build's features.sqlite, or a redis:// URL). */
  storeUrl: string;
  model?: ParityModel;
  version?: number;
  examples?: number;
  /** The shop's seed; default: the one in the version's metrics.json, so the logs are the build's. */
  seed?: number;
  /** Default: createFeatureAssembler over storeUrl, in this process. */
  assemble?: AssembleVectors;
  assembleBatchRows?: number;
}

export interface ParityMismatch {
  /** Position of the event in its log (events or queries), from 0. */
  event: number;
  /** A feature, `<tensor>[<column>]` for a model input, or `<entity>.updatedAtMs` for the store. */
  what: string;
  exported: unknown;
  served: unknown;
}

export interface ParityReport {
  model: ParityModel;
  version: number;
  schemaHash: string;
  /** Held-out events in the log. */
  heldOut: number;
  /** Held-out events left out because an entity of theirs changed after them. */
  updatedLater: number;
  checked: number;
  mismatchCount: number;
  /** The first MAX_REPORTED_MISMATCHES. */
  mismatches: ParityMismatch[];
}

interface EntityLog {
  rows: readonly Record<string, unknown>[];
  idField: string;
  file: string;
}

interface ExportedRow {
  features: FeatureVector;
  tensors: Record<string, (number | string)[]>;
}

const LABEL_FIELD: Record<ParityModel, string> = { purchase: 'purchased', query_category: 'category' };

function entityLogs(logs: FeatureLogs): Record<string, EntityLog> {
  return {
    user: { rows: logs.users, idField: 'user_id', file: 'users.jsonl' },
    product: { rows: logs.products, idField: 'product_id', file: 'products.csv' },
  };
}

/** Per id, the time of its last update in the log. */
function lastUpdates(log: EntityLog): Map<string, number> {
  const last = new Map<string, number>();
  for (const row of log.rows) {
    const id = String(row[log.idField]);
    const ms = parseInstantMs(row.updated_at)!;
    last.set(id, Math.max(ms, last.get(id) ?? -Infinity));
  }
  return last;
}

/** `count` positions spread evenly over `from` (all of them when there are fewer). */
function spread(from: readonly number[], count: number): number[] {
  if (from.length <= count) return [...from];
  return Array.from({ length: count }, (_, i) => from[Math.floor((i * from.length) / count)]!);
}

class Mismatches {
  count = 0;
  readonly first: ParityMismatch[] = [];

  add(m: ParityMismatch): void {
    this.count++;
    if (this.first.length < MAX_REPORTED_MISMATCHES) this.first.push(m);
  }
}

const same = (a: unknown, b: unknown): boolean => a === b || (a == null && b == null);

async function exportRows(set: CompiledFeatureSet, model: ParityModel, events: readonly Record<string, unknown>[],
  entities: Record<string, EntityLog>): Promise<ExportedRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'skein-yarnit-parity-'));
  try {
    const eventsFile = join(dir, 'events.jsonl');
    await writeLogFile(eventsFile, events);
    const logOptions: Record<string, { file: string; timeField: string }> = {};
    for (const e of set.entities) {
      const log = entities[e.name]!;
      await writeLogFile(join(dir, log.file), log.rows);
      logOptions[e.name] = { file: join(dir, log.file), timeField: 'updated_at' };
    }
    const summary = await exportTrainingRows({
      spec: set, events: { file: eventsFile }, entityLogs: logOptions, labelField: LABEL_FIELD[model], timeField: 'time',
      out: { file: join(dir, 'rows.jsonl'), format: 'jsonl' },
    });
    if (summary.written !== events.length) throw new Error(`parity: the exporter skipped ${summary.rejected} events: ${JSON.stringify(summary.rejects)}`);
    const text = await readFile(summary.files.rows, 'utf8');
    return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as ExportedRow);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The stored update time of each entity of the events must be its last one in the log. */
async function checkStore(store: FeatureStore, set: CompiledFeatureSet, events: readonly Record<string, unknown>[], positions: readonly number[],
  last: ReadonlyMap<string, ReadonlyMap<string, number>>, out: Mismatches): Promise<void> {
  for (const e of set.entities) {
    const ids = [...new Set(events.map((ev) => ev[e.keyField]).filter((id) => id !== undefined).map(String))];
    const stored = await store.get(e.name, ids);
    const seen = new Set<string>();
    events.forEach((ev, i) => {
      const id = ev[e.keyField] === undefined ? undefined : String(ev[e.keyField]);
      if (id === undefined || seen.has(id)) return;
      seen.add(id);
      const logged = last.get(e.name)!.get(id);
      const served = stored.get(id)?.updatedAtMs;
      if (!same(logged, served)) out.add({ event: positions[i]!, what: `${e.name}.updatedAtMs`, exported: logged ?? null, served: served ?? null });
    });
  }
}

/** Compares exported and served vectors (and, when given, served tensor rows) event by event. */
function compareRows(set: CompiledFeatureSet, positions: readonly number[], exported: readonly ExportedRow[],
  served: readonly FeatureVector[], tensors: ReadonlyMap<string, ArrayLike<number | string>> | undefined, out: Mismatches): void {
  exported.forEach((row, i) => {
    const event = positions[i]!;
    for (const f of set.features) {
      const a = row.features[f.name];
      const b = served[i]?.[f.name];
      if (!same(a, b)) out.add({ event, what: f.name, exported: a ?? null, served: b ?? null });
    }
    if (tensors === undefined) return;
    for (const t of set.tensors) {
      const data = tensors.get(t.name)!;
      row.tensors[t.name]!.forEach((a, k) => {
        const b = data[i * t.width + k];
        if (!same(a, b)) out.add({ event, what: `${t.name}[${k}]`, exported: a, served: b ?? null });
      });
    }
  });
}

/** Runs the check; see the file comment for which events and what is compared. */
export async function checkParity(options: ParityOptions): Promise<ParityReport> {
  const model = options.model ?? 'purchase';
  const version = options.version ?? 1;
  const examples = options.examples ?? PARITY_EXAMPLES;
  const batchRows = options.assembleBatchRows ?? DEFAULT_ASSEMBLE_BATCH_ROWS;
  if (!Number.isInteger(examples) || examples < 1) throw new Error('parity: examples must be a positive integer');
  const versionDir = join(options.repositoryDir, model, String(version));
  const set = await loadFeatureSet(versionDir);
  const seed = options.seed ?? (JSON.parse(await readFile(join(versionDir, 'metrics.json'), 'utf8')) as { seed: number }).seed;
  const logs = featureLogs(generateShop(seed));
  const log = model === 'purchase' ? logs.events : logs.queries;
  const entities = entityLogs(logs);
  const last = new Map(set.entities.map((e) => [e.name, lastUpdates(entities[e.name]!)]));

  const heldOut = log.map((_, i) => i).slice(trainCut(log.length));
  const eligible = heldOut.filter((i) => set.entities.every((e) => {
    const id = log[i]![e.keyField];
    const lastMs = id === undefined ? undefined : last.get(e.name)!.get(String(id));
    return lastMs === undefined || lastMs <= parseInstantMs(log[i]!.time)!;
  }));
  const positions = spread(eligible, examples);
  const events = positions.map((i) => log[i]!);
  const exported = await exportRows(set, model, events, entities);

  const store = createFeatureStore({ url: options.storeUrl });
  const mismatches = new Mismatches();
  try {
    await checkStore(store, set, events, positions, last, mismatches);
    const assembler = options.assemble === undefined ? createFeatureAssembler({ spec: set, store }) : undefined;
    const served: FeatureVector[] = [];
    const tensors = new Map<string, (number | string)[]>(set.tensors.map((t) => [t.name, []]));
    for (let start = 0; start < events.length; start += batchRows) {
      const rows = events.slice(start, start + batchRows).map(rawRowOf);
      if (assembler === undefined) {
        served.push(...await options.assemble!(rows));
        continue;
      }
      const batch = await assembler.assemble(rows);
      served.push(...batch.vectors);
      for (const t of batch.tensors) tensors.get(t.name)!.push(...Array.from(t.data as ArrayLike<number | string>));
    }
    if (served.length !== events.length) throw new Error(`parity: assemble answered ${served.length} vectors for ${events.length} rows`);
    compareRows(set, positions, exported, served, assembler === undefined ? undefined : tensors, mismatches);
  } finally {
    await store.close();
  }
  return {
    model, version, schemaHash: set.schemaHash, heldOut: heldOut.length, updatedLater: heldOut.length - eligible.length,
    checked: events.length, mismatchCount: mismatches.count, mismatches: mismatches.first,
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { repository: { type: 'string' }, store: { type: 'string' }, model: { type: 'string', default: 'purchase' }, version: { type: 'string', default: '1' } },
    strict: true,
  });
  if (values.repository === undefined || values.store === undefined || (values.model !== 'purchase' && values.model !== 'query_category')) {
    console.error('usage: parity --repository <dir> --store <url> [--model purchase|query_category] [--version 1]');
    return 2;
  }
  const report = await checkParity({ repositoryDir: values.repository, storeUrl: values.store, model: values.model, version: Number(values.version) });
  console.log(JSON.stringify(report, null, 2));
  return report.mismatchCount === 0 && report.checked === PARITY_EXAMPLES ? 0 : 1;
}

if (process.argv[1] && /parity\.(ts|js)$/.test(process.argv[1])) {
  main().then((code) => { process.exitCode = code; }, (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  });
}
