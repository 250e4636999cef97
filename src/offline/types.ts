/**
 * Offline serving: a batch job precomputes predictions into a prediction store; a validation
 * gate checks them; publish switches lookups to them atomically; lookups answer the published
 * value or the set's default.
 *
 * Words: a *set* is a named family of runs (named after its model unless chosen), a *run* is one
 * batch job's output (run id), a *chunk* is a contiguous slice of a run's input committed at once.
 */

/** The model outputs stored for one key, by output name (flat row-major numbers or strings). */
export type PredictionValue = Record<string, number[] | string[]>;

export type RunStatus = 'writing' | 'complete' | 'passed' | 'failed';

export interface RunInfo {
  set: string;
  runId: string;
  model: string;
  version: string;
  /** ISO 8601. */
  createdAt: string;
  status: RunStatus;
  /** Rows written (committed chunks). */
  rowCount: number;
  /** Rows sent to the rejects file. */
  rejectedCount: number;
  /** Returned for keys that were not precomputed. */
  defaultValue: PredictionValue;
  /** The gate's report once validated (JSON-serializable). */
  gateReport?: unknown;
  /** True when published with --force despite a failed or missing gate. */
  forced?: boolean;
  published: boolean;
  /** ISO 8601 of the last publish of this run, when any. */
  publishedAt?: string;
}

export interface BeginRun {
  set: string;
  runId: string;
  model: string;
  version: string;
  defaultValue: PredictionValue;
}

export interface ChunkRow {
  key: string;
  value: PredictionValue;
}

/**
 * A prediction store. Implementations: SQLite (embedded default, `sqlite://path`), PostgreSQL
 * (`postgres://…`), Redis (`redis://…`). Contract:
 * - beginRun is idempotent: calling it again for an existing run (a resumed job) changes nothing.
 * - writeChunk commits a chunk's rows and the chunk's index in ONE atomic step, keyed by
 *   (set, runId, key): a chunk written twice (a job killed after commit, then resumed) leaves the
 *   same rows, never duplicates. committedChunks tells a resumed job which chunks to skip.
 * - Lookups read only the published run of a set: nothing of a run is visible before publish,
 *   and publish/rollback switch the pointer atomically (a lookup sees the old run or the new one,
 *   never a mix).
 * - publish refuses a run whose status is not `passed` unless force is true (recorded on the run).
 * - Every method may throw a connection error; callers retry with backoff.
 */
export interface PredictionStore {
  readonly kind: 'sqlite' | 'postgres' | 'redis';
  beginRun(run: BeginRun): Promise<void>;
  writeChunk(set: string, runId: string, chunkIndex: number, rows: readonly ChunkRow[], rejected: number): Promise<void>;
  committedChunks(set: string, runId: string): Promise<Set<number>>;
  completeRun(set: string, runId: string): Promise<RunInfo>;
  setGateResult(set: string, runId: string, passed: boolean, report: unknown): Promise<void>;
  getRun(set: string, runId: string): Promise<RunInfo | undefined>;
  listRuns(set?: string): Promise<RunInfo[]>;
  publish(set: string, runId: string, options?: { force?: boolean }): Promise<RunInfo>;
  /** Points the set back at the run published before the current one. */
  rollback(set: string): Promise<RunInfo>;
  published(set: string): Promise<RunInfo | undefined>;
  /** Values of the published run, in key order of the request; undefined where not precomputed. */
  lookup(set: string, keys: readonly string[]): Promise<(PredictionValue | undefined)[]>;
  /** Streams a run's values (published or not), for the gate; at most `limit` rows. */
  scanValues(set: string, runId: string, limit: number): AsyncIterable<ChunkRow>;
  close(): Promise<void>;
}
