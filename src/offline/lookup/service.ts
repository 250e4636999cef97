import { stat } from 'node:fs/promises';
import { ServingError } from '../../errors/index.js';
import type { TimerHandle } from '../../util/index.js';
import type { PredictionStore, PredictionValue, RunInfo } from '../types.js';
import { checkKey, checkSetName, hasPublishedLookup, setNotFound, type PublishedLookup } from '../store/index.js';
import { loadFile, loadRun, tooManyRows, type MemoryTable } from './memory.js';
import { DEFAULT_MAX_MERGED_KEYS, mergeLookups } from './merge.js';
import { LookupMetrics } from './metrics.js';
import type { LookupResult, LookupService, LookupServiceOptions } from './types.js';

const DEFAULTS = { maxMemoryRows: 5_000_000, refreshIntervalMs: 30_000, maxKeysPerRequest: 1000 };

type Source = (set: string, keys: readonly string[]) => Promise<{ table: Omit<MemoryTable, 'values'>; values: (PredictionValue | undefined)[] }>;

export function createLookupService(options: LookupServiceOptions): LookupService {
  const mode = options.mode ?? (options.store ? 'store' : 'memory');
  const maxMemoryRows = options.maxMemoryRows ?? DEFAULTS.maxMemoryRows;
  const refreshIntervalMs = options.refreshIntervalMs ?? DEFAULTS.refreshIntervalMs;
  const maxKeysPerRequest = options.maxKeysPerRequest ?? DEFAULTS.maxKeysPerRequest;
  const { clock, store } = options;
  if (mode === 'store' && store === undefined) throw new ServingError('INVALID_CONFIG', 'lookups in store mode need a prediction store (--store URL)');
  if (mode === 'memory' && store === undefined && (options.files ?? []).length === 0) {
    throw new ServingError('INVALID_CONFIG', 'lookups in memory mode need a prediction store or at least one prediction file');
  }
  const metrics = new LookupMetrics(options.registry, options.wallClockMs ?? Date.now);
  const memory = mode === 'memory' ? new MemorySets(store, options.files ?? [], maxMemoryRows) : undefined;
  const maxMergedKeys = options.maxMergedKeys ?? DEFAULT_MAX_MERGED_KEYS;
  if (!Number.isSafeInteger(maxMergedKeys) || maxMergedKeys < 0) {
    throw new ServingError('INVALID_CONFIG', '--max-merged-keys must be 0 (one store read per lookup) or a positive integer');
  }
  const source: Source = memory ? (set, keys) => memory.read(set, keys) : storeSource(store as PredictionStore, clock, refreshIntervalMs, maxMergedKeys);
  let timer: TimerHandle | undefined;
  let closed = false;

  const schedule = (): void => {
    if (closed || memory === undefined || refreshIntervalMs <= 0) return;
    timer = clock.setTimeout(() => {
      memory.refresh().catch((err: unknown) => options.onRefreshError?.(err)).finally(schedule);
    }, refreshIntervalMs);
  };

  return {
    mode,
    async start() {
      await memory?.refresh();
      schedule();
    },
    async lookup(set, keys) {
      const started = clock.now();
      checkSetName(set);
      if (keys.length > maxKeysPerRequest) {
        throw new ServingError('INVALID_REQUEST', `a lookup takes at most ${maxKeysPerRequest} keys; split the request`);
      }
      const checked = keys.map(checkKey);
      const { table, values } = await source(set, checked);
      let hits = 0;
      const results = checked.map((key, i) => {
        const value = values[i];
        if (value !== undefined) hits++;
        return { key, value: value ?? table.defaultValue, default: value === undefined };
      });
      metrics.serving(set, table.publishedAt);
      metrics.observe(set, hits, checked.length - hits, (clock.now() - started) / 1000);
      const result: LookupResult = { set, model_name: table.model, model_version: table.version, run_id: table.runId, results };
      return result;
    },
    async refresh() {
      await memory?.refresh();
    },
    close() {
      closed = true;
      timer?.cancel();
    },
  };
}

/**
 * Store mode: each lookup is one atomic read of (published run id, values), merged with the other
 * lookups of its loop turn (maxMergedKeys); the run's metadata (immutable but for publishedAt) is
 * cached for refreshIntervalMs.
 */
function storeSource(store: PredictionStore, clock: LookupServiceOptions['clock'], ttlMs: number, maxMergedKeys: number): Source {
  let readPublished: ((set: string, keys: readonly string[]) => Promise<PublishedLookup>) | undefined;
  if (hasPublishedLookup(store)) {
    const published = store;
    const direct = (set: string, keys: readonly string[]): Promise<PublishedLookup> => published.lookupPublished(set, keys);
    readPublished = maxMergedKeys > 0 ? mergeLookups(direct, maxMergedKeys) : direct;
  }
  const cache = new Map<string, { info: RunInfo; fetchedAtMs: number }>();
  const runInfo = async (set: string, runId: string): Promise<RunInfo> => {
    const id = `${set}\u0000${runId}`;
    const hit = cache.get(id);
    if (hit && clock.now() - hit.fetchedAtMs < Math.max(ttlMs, 1)) return hit.info;
    const info = await store.getRun(set, runId);
    if (info === undefined) throw setNotFound();
    // Bounded: a set serves one run at a time, so drop the set's older entries first.
    for (const key of cache.keys()) if (key.startsWith(`${set}\u0000`)) cache.delete(key);
    cache.set(id, { info, fetchedAtMs: clock.now() });
    return info;
  };
  return async (set, keys) => {
    let runId: string;
    let values: (PredictionValue | undefined)[];
    if (readPublished) {
      ({ runId, values } = await readPublished(set, keys));
    } else {
      // A store without the atomic read: the pointer could move between the two calls.
      const run = await store.published(set);
      if (run === undefined) throw setNotFound();
      runId = run.runId;
      values = await store.lookup(set, keys);
    }
    const info = await runInfo(set, runId);
    const table = { set, model: info.model, version: info.version, runId, defaultValue: info.defaultValue, publishedAt: info.publishedAt };
    return { table, values };
  };
}

/** Memory mode: the published run of every set (and every file), swapped in whole on refresh. */
class MemorySets {
  private tables = new Map<string, MemoryTable>();
  private readonly fileMtimes = new Map<string, number>();

  constructor(
    private readonly store: PredictionStore | undefined,
    private readonly files: readonly string[],
    private readonly maxRows: number,
  ) {}

  async read(set: string, keys: readonly string[]): Promise<{ table: MemoryTable; values: (PredictionValue | undefined)[] }> {
    const table = this.tables.get(set);
    if (table === undefined) throw setNotFound();
    return { table, values: keys.map((k) => table.values.get(k)) };
  }

  private rowsExcept(set: string): number {
    let n = 0;
    for (const [name, t] of this.tables) if (name !== set) n += t.values.size;
    return n;
  }

  /** Loads what changed; a set's table is replaced in one assignment, never edited in place. */
  async refresh(): Promise<void> {
    for (const path of this.files) {
      const mtimeMs = (await stat(path).catch(() => undefined))?.mtimeMs;
      if (mtimeMs !== undefined && this.fileMtimes.get(path) === mtimeMs) continue;
      const table = await loadFile(path, this.maxRows);
      if (table.values.size > this.maxRows - this.rowsExcept(table.set)) throw tooManyRows(this.maxRows);
      this.swap(table);
      if (mtimeMs !== undefined) this.fileMtimes.set(path, mtimeMs);
    }
    if (this.store === undefined) return;
    for (const run of await this.store.listRuns()) {
      if (!run.published) continue;
      const current = this.tables.get(run.set);
      if (current?.runId === run.runId && current.publishedAt === run.publishedAt) continue;
      this.swap(await loadRun(this.store, run, this.maxRows - this.rowsExcept(run.set), this.maxRows));
    }
  }

  private swap(table: MemoryTable): void {
    const next = new Map(this.tables);
    next.set(table.set, table);
    this.tables = next;
  }
}
