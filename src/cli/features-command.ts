import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ServingError, isServingError } from '../errors/index.js';
import {
  RECORD_FORMATS, compileFeatureSet, createFeatureStore, exportTrainingRows, ingestEntities, parseFeatureSetJson,
  type CompiledFeatureSet, type EntityLogOptions, type RecordFormat,
} from '../features/index.js';

/** Exit codes: 0 done; 1 failed (corrupt input, store down); 2 bad usage (flags, feature set). */
export const FEATURES_EXIT = { ok: 0, error: 1, usage: 2 } as const;

/** The time field of an entity log when `--entity name=path` does not give one. */
export const DEFAULT_ENTITY_TIME_FIELD = 'updated_at';

const USAGE_CODES = new Set(['INVALID_CONFIG', 'INVALID_FEATURE_DEFINITION']);

function usage(message: string): ServingError {
  return new ServingError('INVALID_CONFIG', message);
}

const positiveInt = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!/^[0-9]+$/.test(v) || n < 1 || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};
const collect = (v: string, previous: string[] = []): string[] => [...previous, v];

/** `user=logs/users.csv[:idField:timeField]`; the path may itself hold colons, so fields are read from the right. */
export function parseEntityFlag(flag: string): [string, EntityLogOptions] {
  const eq = flag.indexOf('=');
  if (eq <= 0 || eq === flag.length - 1) throw usage(`--entity must be name=path[:idField:timeField], got "${flag.slice(0, 80)}"`);
  const name = flag.slice(0, eq);
  const parts = flag.slice(eq + 1).split(':');
  if (parts.length >= 3) {
    const timeField = parts.pop()!;
    const idField = parts.pop()!;
    if (idField === '' || timeField === '') throw usage(`--entity ${name}: idField and timeField must not be empty`);
    return [name, { file: parts.join(':'), idField, timeField }];
  }
  return [name, { file: parts.join(':'), timeField: DEFAULT_ENTITY_TIME_FIELD }];
}

/** `--ttl-ms 86400000` (every entity) or `--ttl-ms user=86400000` (repeatable). */
export function parseTtlFlags(flags: readonly string[]): number | Record<string, number> | undefined {
  if (flags.length === 0) return undefined;
  const ms = (v: string): number => {
    const n = Number(v);
    if (!/^[0-9]+$/.test(v) || n < 1) throw usage(`--ttl-ms takes a positive number of milliseconds, got "${v.slice(0, 40)}"`);
    return n;
  };
  if (flags.length === 1 && !flags[0]!.includes('=')) return ms(flags[0]!);
  const out: Record<string, number> = {};
  for (const f of flags) {
    const [name, value] = f.split('=');
    if (!name || value === undefined) throw usage('--ttl-ms is either one number for every entity, or entity=ms (repeatable)');
    out[name] = ms(value);
  }
  return out;
}

function looksLikeSpec(v: unknown): boolean {
  return typeof v === 'object' && v !== null && 'name' in v && Array.isArray((v as { features?: unknown }).features)
    && Array.isArray((v as { tensors?: unknown }).tensors);
}

/** A JSON spec (or features.json), or a module exporting one: `sets.ts` or `sets.ts#purchase`. */
export async function loadSpecFlag(flag: string): Promise<CompiledFeatureSet> {
  const hashAt = flag.lastIndexOf('#');
  const path = hashAt > 0 ? flag.slice(0, hashAt) : flag;
  const exportName = hashAt > 0 ? flag.slice(hashAt + 1) : undefined;
  if (extname(path).toLowerCase() === '.json') {
    const text = await readFile(path, 'utf8').catch(() => { throw usage('--features cannot be read; check the path'); });
    return parseFeatureSetJson(text, '--features');
  }
  let mod: Record<string, unknown>;
  try {
    mod = await import(pathToFileURL(resolve(path)).href) as Record<string, unknown>;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION') throw usage('--features is a TypeScript module; run skein with node --import tsx, or compile the module to .js');
    if (code === 'ERR_MODULE_NOT_FOUND') throw usage('--features cannot be read; check the path');
    throw usage(`--features module failed to load: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (exportName !== undefined) {
    if (!(exportName in mod)) throw usage(`--features module has no export "${exportName}"`);
    return compileFeatureSet(mod[exportName]);
  }
  const candidates = Object.entries(mod).filter(([, v]) => looksLikeSpec(v));
  if (candidates.length !== 1) {
    const names = candidates.map(([k]) => k).join(', ');
    throw usage(candidates.length === 0
      ? '--features module exports no feature set (an object with name, features and tensors)'
      : `--features module exports several feature sets (${names}); pick one with module#name`);
  }
  return compileFeatureSet(candidates[0]![1]);
}

interface ExportFlags {
  features: string; events: string; eventsFormat?: RecordFormat; entity: string[]; out: string; outFormat?: 'jsonl' | 'csv';
  metaDir?: string; labelField: string; timeField: string; ttlMs: string[]; maxEntityLogRows?: number;
}

async function runExport(f: ExportFlags): Promise<void> {
  const set = await loadSpecFlag(f.features);
  const entityLogs = Object.fromEntries(f.entity.map(parseEntityFlag));
  const ttlMs = parseTtlFlags(f.ttlMs);
  const outFormat = f.outFormat ?? (extname(f.out).toLowerCase() === '.csv' ? 'csv' : 'jsonl');
  const summary = await exportTrainingRows({
    spec: set,
    events: { file: f.events, ...(f.eventsFormat ? { format: f.eventsFormat } : {}) },
    entityLogs,
    out: { file: f.out, format: outFormat, ...(f.metaDir ? { metaDir: f.metaDir } : {}) },
    labelField: f.labelField,
    timeField: f.timeField,
    ...(ttlMs === undefined ? {} : { ttlMs }),
    ...(f.maxEntityLogRows === undefined ? {} : { maxEntityLogRows: f.maxEntityLogRows }),
  });
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

interface IngestFlags {
  store: string; entity: string; file: string; format?: RecordFormat; idField: string; timeField: string;
  ttlMs?: number; keyPrefix?: string;
}

async function runIngest(f: IngestFlags): Promise<void> {
  const store = createFeatureStore({
    url: f.store,
    ...(f.ttlMs === undefined ? {} : { ttlMs: f.ttlMs }),
    ...(f.keyPrefix === undefined ? {} : { keyPrefix: f.keyPrefix }),
  });
  try {
    const summary = await ingestEntities({
      store, entity: f.entity, file: f.file, idField: f.idField, timeField: f.timeField, ...(f.format ? { format: f.format } : {}),
    });
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    await store.close();
  }
}

function action<T>(name: string, run: (flags: T) => Promise<void>): (flags: T) => Promise<void> {
  return async (flags) => {
    try {
      await run(flags);
      process.exitCode = FEATURES_EXIT.ok;
    } catch (err) {
      process.stderr.write(`skein features ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = isServingError(err) && USAGE_CODES.has(err.code) ? FEATURES_EXIT.usage : FEATURES_EXIT.error;
    }
  };
}

/** Commander's own parse errors (a missing or malformed flag) exit 2, like our usage errors. */
function exitOnParseError(err: CommanderError): never {
  process.exit(err.exitCode === 0 ? 0 : FEATURES_EXIT.usage);
}

function exportCommand(): Command {
  return new Command('export')
    .description('turn raw event logs into training rows with point-in-time correct entity joins; writes the rows, training-stats.json and features.json; prints a JSON summary')
    .requiredOption('--features <spec>', 'the feature set: spec.json or features.json, or a module exporting one (module.ts[#export])')
    .requiredOption('--events <file>', 'raw events, one a row: .csv, .jsonl or .parquet')
    .addOption(new Option('--events-format <format>', 'events format when the extension does not say').choices([...RECORD_FORMATS]))
    .option('--entity <name=path[:idField:timeField]>', `an entity's update log (repeatable; default idField: the entity's keyField, timeField: ${DEFAULT_ENTITY_TIME_FIELD})`, collect, [])
    .requiredOption('--out <file>', 'training rows: .jsonl (default) or .csv')
    .addOption(new Option('--out-format <format>', 'output format when the extension does not say').choices(['jsonl', 'csv']))
    .option('--meta-dir <dir>', 'where training-stats.json and features.json go (default: beside --out)')
    .option('--label-field <field>', 'the events field holding the label', 'label')
    .option('--time-field <field>', 'the events field holding the event time (epoch ms or ISO-8601 with offset)', 'time')
    .option('--ttl-ms <ms|entity=ms>', 'the feature store TTLs, so expired values are dropped as in serving (repeatable)', collect, [])
    .option('--max-entity-log-rows <rows>', 'rows one entity log may hold in memory', positiveInt('--max-entity-log-rows'))
    .exitOverride(exitOnParseError)
    .action(action('export', runExport));
}

function ingestCommand(): Command {
  return new Command('ingest')
    .description('load an entity update log into the feature store (latest update wins; older ones never overwrite newer); prints a JSON summary')
    .requiredOption('--store <url>', 'feature store: redis://host:port[/db], or sqlite://path or a path')
    .requiredOption('--entity <name>', 'the entity the file updates (user, product, …)')
    .requiredOption('--file <file>', 'updates, one a row: .csv, .jsonl or .parquet')
    .addOption(new Option('--format <format>', 'file format when the extension does not say').choices([...RECORD_FORMATS]))
    .requiredOption('--id-field <field>', 'the field holding the entity id')
    .option('--time-field <field>', 'the field holding the update time (epoch ms or ISO-8601 with offset)', DEFAULT_ENTITY_TIME_FIELD)
    .option('--ttl-ms <ms>', 'values expire this long after their update time', positiveInt('--ttl-ms'))
    .option('--key-prefix <prefix>', 'namespace in the store (default skein:feat)')
    .exitOverride(exitOnParseError)
    .action(action('ingest', runIngest));
}

/** Adds `skein features export` and `skein features ingest` to the program. */
export function registerFeaturesCommand(program: Command): void {
  const features = new Command('features')
    .description('the feature pipeline: export training rows, ingest entity updates into the feature store')
    .exitOverride(exitOnParseError);
  features.addCommand(exportCommand());
  features.addCommand(ingestCommand());
  program.addCommand(features);
}
