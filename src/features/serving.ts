import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ServingError, isServingError } from '../errors/index.js';
import {
  TRAINING_STATS_FORMAT, compareToTraining, createSkewMonitor, parseTrainingStats,
  type DriftReport, type FeatureRow, type SkewMonitor, type SkewMonitorOptions, type SkewReport, type TrainingStats,
} from '../monitoring/index.js';
import type { Signature, Tensor } from '../tensor/index.js';
import { systemClock, type Clock } from '../util/index.js';
import { createFeatureAssembler, type AssembledBatch, type FeatureAssembler } from './assemble.js';
import type { CompiledFeatureSet } from './compile.js';
import { TRAINING_STATS_FILE } from './export.js';
import { loadFeatureSet } from './files.js';
import { createCoalescingStore } from './coalesce.js';
import { createFeatureMetrics } from './metrics.js';
import { registerServingMetrics, type SkewSource } from './serving-metrics.js';
import { createFeatureStore, type FeatureStore } from './store/index.js';
import { planWatch, rowPredictions, watchedVector, type WatchPlan } from './watch.js';

/**
 * Raw-field serving for the model server: per model version, the feature set it was trained with
 * (`<root>/<model>/<version>/features.json`), an assembler over the shared feature store, and a
 * skew monitor over its training statistics (`training-stats.json`, optional).
 *
 * Contract:
 *   - forVersion(ref) loads a version's files on first use and caches them per model, version
 *     and generation (the caller's object for one load of the version: a reload reads the files
 *     again). Concurrent first calls share one load.
 *   - No features.json → FEATURES_NOT_CONFIGURED; an invalid one, or one whose tensors do not fit
 *     the model's signature → INVALID_FEATURE_DEFINITION. Both are remembered for retryMissingMs,
 *     then the files are read again (a features.json copied in later is picked up).
 *   - No or an invalid training-stats.json never fails a request: the version serves without a
 *     monitor, and `statsProblem` says why (GET /skew shows it).
 *   - Bounded: at most maxVersions versions are held (least recently used leave first); with
 *     `isServed`, versions the manager no longer serves are dropped on access (at most once per
 *     second) and on each metrics scrape. A dropped version loses its skew samples.
 *   - Without a store, entities are looked up in an empty in-memory store: every entity is
 *     missing, its features take their declared defaults, counted in skein_feature_missing_total.
 *   - Lookups of requests served in the same event-loop turn are merged into one per entity
 *     (coalesce.ts), unless coalesceLookups is false.
 *   - Everything runs on the event loop that serves requests; safe to call concurrently.
 */
export interface ServedFeatures {
  readonly model: string;
  readonly version: number;
  readonly featureSet: CompiledFeatureSet;
  readonly assembler: FeatureAssembler;
  /** undefined without usable training statistics (see statsProblem). */
  readonly monitor: SkewMonitor | undefined;
  /** Why there is no monitor: training-stats.json is missing or invalid. */
  readonly statsProblem: string | undefined;
  /** Features of the training statistics the monitor does not watch, and why (privacy rules, watch.ts). */
  readonly unwatched: Readonly<Record<string, string>>;
  /**
   * Feeds one served batch to the monitor: each row's vector (only what watch.ts lets through)
   * with the first output's value of the row as its prediction. Never throws. Without a monitor
   * it does nothing and never reads `batch.vectors`, which are built on first read.
   */
  observe(batch: Pick<AssembledBatch, 'vectors'>, outputs: readonly Tensor[]): void;
  /**
   * For /metrics: training against the latest recentSamples watched vectors (a ring, so the
   * gauges follow current traffic and a scrape costs a bounded comparison), memoized for
   * reportMinIntervalMs. undefined without a monitor.
   */
  recentReport(): SkewReport | undefined;
  /**
   * For GET /skew: the monitor's skew report (every retained sample) and drift report, memoized
   * for reportMinIntervalMs (a report over maxSamples × maxWindows vectors is the costly part).
   * undefined without a monitor.
   */
  reports(): { skew: SkewReport; drift: DriftReport } | undefined;
}

export interface VersionRef {
  model: string;
  version: number;
  /** Any object that is new each time the version is loaded (the manager's version entry). */
  generation?: object;
  /** The model's signature: the feature set's tensors must be exactly its inputs. */
  signature?: Signature;
}

export interface FeatureServing {
  forVersion(ref: VersionRef): Promise<ServedFeatures>;
  /** Drops a version's cached files and monitor (the version no longer serves). */
  forget(model: string, version: number): void;
  /** skein_raw_requests_total{model,version,outcome}. */
  countRaw(model: string, version: string, outcome: string): void;
  /** Versions held now (ready or failed loads). */
  size(): number;
  /** Stops the metrics of this instance; closes the store only when it made it (no store given). */
  close(): Promise<void>;
}

export interface FeatureServingOptions {
  /** The model repository: `<repositoryRoot>/<model>/<version>/features.json`. */
  repositoryRoot: string;
  /** Shared by every version; the caller closes it. Absent: an empty in-memory store. */
  store?: FeatureStore;
  registry: Registry;
  clock?: Clock;
  logger?: Pick<Logger, 'warn' | 'info'>;
  /** Whether the manager still serves this load of the version; entries it denies are dropped. */
  isServed?: (model: string, version: number, generation: object | undefined) => boolean;
  /** Skew monitor options (sampleRate, maxSamples, windowMs, maxWindows, thresholds, random). */
  skew?: Omit<SkewMonitorOptions, 'stats' | 'clock'>;
  /**
   * Merge the store lookups of requests served in the same event-loop turn into one per entity
   * (coalesce.ts; default true): one query or pipeline for many concurrent requests.
   */
  coalesceLookups?: boolean;
  /** Assembler options. */
  lookupTimeoutMs?: number;
  maxRows?: number;
  /** Versions held at most (default 64). */
  maxVersions?: number;
  /** How long a version without (or with an invalid) features.json is answered from memory (default 5000). */
  retryMissingMs?: number;
  /** Reports are computed at most this often per version, for /metrics and for GET /skew (default 5000). */
  reportMinIntervalMs?: number;
  /** Latest watched vectors per version that the /metrics gauges compare with training (default 2000). */
  recentSamples?: number;
}

export const DEFAULT_MAX_SERVED_VERSIONS = 64;
export const DEFAULT_RETRY_MISSING_MS = 5000;
export const DEFAULT_REPORT_MIN_INTERVAL_MS = 5000;
export const DEFAULT_RECENT_SAMPLES = 2000;
/** A store outage is logged at most once per entity per this interval (requests go on with defaults). */
const STORE_ERROR_LOG_INTERVAL_MS = 10_000;
const SWEEP_INTERVAL_MS = 1000;

interface Entry {
  model: string;
  version: number;
  generation: object | undefined;
  loading: Promise<ServedFeatures>;
  served: ServedFeatures | undefined;
  /** Set when the load failed with a coded error that is remembered for retryMissingMs. */
  failedAtMs: number | undefined;
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1) throw new ServingError('INVALID_CONFIG', `feature serving: ${name} must be a positive integer`);
  return v;
}

export function createFeatureServing(options: FeatureServingOptions): FeatureServing {
  const clock = options.clock ?? systemClock;
  const maxVersions = positiveInt(options.maxVersions, DEFAULT_MAX_SERVED_VERSIONS, 'maxVersions');
  const retryMissingMs = positiveInt(options.retryMissingMs, DEFAULT_RETRY_MISSING_MS, 'retryMissingMs');
  const reportMinIntervalMs = positiveInt(options.reportMinIntervalMs, DEFAULT_REPORT_MIN_INTERVAL_MS, 'reportMinIntervalMs');
  const recentSamples = positiveInt(options.recentSamples, DEFAULT_RECENT_SAMPLES, 'recentSamples');
  // Bad skew options fail here, at startup, not on the first raw request.
  createSkewMonitor({ ...options.skew, stats: { format: TRAINING_STATS_FORMAT, rows: 0, features: {} }, clock });
  const ownStore = options.store === undefined ? createFeatureStore({ url: ':memory:' }) : undefined;
  const shared = options.store ?? ownStore!;
  const store = options.coalesceLookups === false ? shared : createCoalescingStore(shared);
  const featureMetrics = createFeatureMetrics(options.registry);
  const entries = new Map<string, Entry>();
  const storeErrorLoggedAtMs = new Map<string, number>();
  let lastSweepMs = -Infinity;

  const keyOf = (model: string, version: number): string => `${model}\u0000${version}`;

  function onStoreError(setName: string, entity: string, err: unknown): void {
    const key = `${setName}\u0000${entity}`;
    const last = storeErrorLoggedAtMs.get(key);
    const now = clock.now();
    if (last !== undefined && now - last < STORE_ERROR_LOG_INTERVAL_MS) return;
    storeErrorLoggedAtMs.set(key, now);
    options.logger?.warn({ featureSet: setName, entity, err: err instanceof Error ? err.message : String(err) },
      'feature store lookup failed; answering with the declared defaults (logged at most every 10 s)');
  }

  function sweep(force: boolean): void {
    const served = options.isServed;
    if (served === undefined) return;
    const now = clock.now();
    if (!force && now - lastSweepMs < SWEEP_INTERVAL_MS) return;
    lastSweepMs = now;
    for (const [key, e] of entries) if (!served(e.model, e.version, e.generation)) entries.delete(key);
  }

  function label(ref: VersionRef): string {
    return `model '${ref.model}' version ${ref.version}`;
  }

  async function loadStats(dir: string, ref: VersionRef): Promise<{ stats: TrainingStats } | { problem: string }> {
    let text: string;
    try {
      text = await readFile(join(dir, TRAINING_STATS_FILE), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return { problem: `${label(ref)} has no ${TRAINING_STATS_FILE} beside its features.json; write it with \`skein features export\` and publish it with the version` };
      }
      return { problem: `${label(ref)}: cannot read ${TRAINING_STATS_FILE} (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
    }
    try {
      return { stats: parseTrainingStats(JSON.parse(text)) };
    } catch (err) {
      const why = isServingError(err) ? err.message : 'it is not valid JSON';
      return { problem: `${label(ref)}: ${TRAINING_STATS_FILE} is invalid: ${why}` };
    }
  }

  async function load(ref: VersionRef): Promise<ServedFeatures> {
    const dir = join(options.repositoryRoot, ref.model, String(ref.version));
    let set: CompiledFeatureSet;
    try {
      set = await loadFeatureSet(dir);
    } catch (err) {
      if (isServingError(err) && err.code === 'FEATURES_NOT_CONFIGURED') {
        throw new ServingError('FEATURES_NOT_CONFIGURED', `${label(ref)} has no features.json, so it takes no raw fields; send OIP tensors to /infer, or publish the version with its feature set`);
      }
      if (isServingError(err)) throw new ServingError(err.code, `${label(ref)}: ${err.message}`);
      throw err;
    }
    if (ref.signature !== undefined) checkFits(set, ref.signature, label(ref));
    const setName = set.spec.name;
    const assembler = createFeatureAssembler({
      spec: set,
      store,
      metrics: featureMetrics,
      clock,
      ...(options.lookupTimeoutMs !== undefined ? { lookupTimeoutMs: options.lookupTimeoutMs } : {}),
      ...(options.maxRows !== undefined ? { maxRows: options.maxRows } : {}),
      onStoreError: (entity, err) => onStoreError(setName, entity, err),
    });
    if (ownStore !== undefined && set.entities.length > 0) {
      options.logger?.warn({ model: ref.model, version: ref.version, entities: set.entities.map((e) => e.name) },
        'this feature set reads entities, but the server has no --feature-store: their features take their declared defaults');
    }
    const loaded = await loadStats(dir, ref);
    if ('problem' in loaded) options.logger?.info({ model: ref.model, version: ref.version, reason: loaded.problem }, 'no skew monitor for this version');
    const base = { model: ref.model, version: ref.version, featureSet: set, assembler };
    if ('problem' in loaded) return withoutMonitor(base, loaded.problem);
    return withMonitor(base, planWatch(set, loaded.stats));
  }

  function withoutMonitor(base: Pick<ServedFeatures, 'model' | 'version' | 'featureSet' | 'assembler'>, problem: string): ServedFeatures {
    return { ...base, monitor: undefined, statsProblem: problem, unwatched: {}, observe() {}, recentReport: () => undefined, reports: () => undefined };
  }

  function withMonitor(base: Pick<ServedFeatures, 'model' | 'version' | 'featureSet' | 'assembler'>, plan: WatchPlan): ServedFeatures {
    const monitor = createSkewMonitor({ ...options.skew, stats: plan.stats, clock });
    const sampleRate = options.skew?.sampleRate ?? 1;
    const random = options.skew?.random ?? Math.random;
    const recent = createRing<FeatureRow>(recentSamples);
    const recentMemo = memo(() => compareToTraining(plan.stats, recent.items(), options.skew?.thresholds));
    const fullMemo = memo(() => ({ skew: monitor.report(), drift: monitor.drift() }));
    return {
      ...base,
      monitor,
      statsProblem: undefined,
      unwatched: plan.unwatched,
      observe(batch, outputs) {
        const vectors = batch.vectors;
        const predictions = rowPredictions(outputs, vectors.length);
        vectors.forEach((v, i) => {
          const watched = watchedVector(plan, v);
          monitor.observe(watched, predictions[i]);
          if (random() < sampleRate) recent.push(watched);
        });
      },
      recentReport: recentMemo,
      reports: fullMemo,
    };
  }

  function memo<T>(compute: () => T): () => T {
    let last: { atMs: number; value: T } | undefined;
    return () => {
      const now = clock.now();
      if (last === undefined || now - last.atMs >= reportMinIntervalMs) last = { atMs: now, value: compute() };
      return last.value;
    };
  }

  function start(ref: VersionRef, key: string): Entry {
    const entry: Entry = { model: ref.model, version: ref.version, generation: ref.generation, loading: load(ref), served: undefined, failedAtMs: undefined };
    entry.loading.then((served) => {
      entry.served = served;
    }, (err: unknown) => {
      // Coded failures (no or a bad features.json) are remembered for a while; anything else
      // (a file system error) is retried by the next request.
      if (isServingError(err)) entry.failedAtMs = clock.now();
      else if (entries.get(key) === entry) entries.delete(key);
    });
    entries.set(key, entry);
    while (entries.size > maxVersions) entries.delete(entries.keys().next().value!);
    return entry;
  }

  function forVersion(ref: VersionRef): Promise<ServedFeatures> {
    sweep(false);
    const key = keyOf(ref.model, ref.version);
    let entry = entries.get(key);
    const stale = entry !== undefined && (entry.generation !== ref.generation
      || (entry.failedAtMs !== undefined && clock.now() - entry.failedAtMs >= retryMissingMs));
    if (entry === undefined || stale) entry = start(ref, key);
    else {
      // Least recently used leave first: move this one to the end.
      entries.delete(key);
      entries.set(key, entry);
    }
    return entry.loading;
  }

  function* skewSources(): Iterable<SkewSource> {
    sweep(true);
    for (const e of entries.values()) {
      const served = e.served;
      if (served?.monitor !== undefined) yield { model: served.model, version: String(served.version), report: () => served.recentReport() };
    }
  }
  const metrics = registerServingMetrics(options.registry, skewSources);

  return {
    forVersion,
    forget(model, version) {
      entries.delete(keyOf(model, version));
    },
    countRaw(model, version, outcome) {
      metrics.rawRequests.inc({ model, version, outcome });
    },
    size: () => entries.size,
    async close() {
      metrics.unregister();
      entries.clear();
      await ownStore?.close();
    },
  };
}

/**
 * The feature set's tensors must be exactly the model's inputs: same names and datatypes, rank 2,
 * and as many columns as the set writes. Checked once per load, so a features.json that does not
 * belong to its model is a clear INVALID_FEATURE_DEFINITION rather than a confusing tensor error
 * (or, worse, values in the wrong columns) on every request.
 */
export function checkFits(set: CompiledFeatureSet, signature: Signature, label: string): void {
  const fail = (why: string): never => {
    throw new ServingError('INVALID_FEATURE_DEFINITION', `${label}: features.json does not fit the model: ${why}`);
  };
  for (const t of set.tensors) {
    const input = signature.inputs.find((i) => i.name === t.name);
    if (input === undefined) fail(`tensor "${t.name}" is not an input of the model (inputs: ${signature.inputs.map((i) => i.name).join(', ')})`);
    if (input!.datatype !== t.datatype) fail(`tensor "${t.name}" is ${t.datatype}, the model's input is ${input!.datatype}`);
    const shape = input!.shape;
    if (shape.length !== 2) fail(`the model's input "${t.name}" has shape [${shape.join(', ')}]; feature tensors are [rows, columns]`);
    if (shape[1] !== -1 && shape[1] !== t.width) fail(`tensor "${t.name}" has ${t.width} columns, the model's input takes ${shape[1]}`);
  }
  for (const input of signature.inputs) {
    if (!set.tensors.some((t) => t.name === input.name)) fail(`the model's input "${input.name}" is not one of the feature set's tensors`);
  }
}

/** The latest `capacity` items pushed, oldest overwritten first. */
function createRing<T>(capacity: number): { push(item: T): void; items(): readonly T[] } {
  const buffer: T[] = [];
  let next = 0;
  return {
    push(item) {
      if (buffer.length < capacity) buffer.push(item);
      else buffer[next] = item;
      next = (next + 1) % capacity;
    },
    items: () => buffer,
  };
}
