import Database from 'better-sqlite3';
import type { BeginRun, ChunkRow, PredictionValue, RunInfo } from '../types.js';
import { checkGateable, checkPublishable, runNotFound, setNotFound, statusAfterComplete } from './lifecycle.js';
import { checkKey, checkRunId, checkSetName } from './names.js';
import { SCAN_PAGE_ROWS, checkChunk, checkLimit, checkValue, runFromRow, type RunRow } from './rows.js';
import { writeEncodedChunk } from './sqlite-chunks.js';
import type { EncodedChunk } from './sqlite-chunks.js';
import { SqliteChunkWriter } from './sqlite-writer.js';
import type { LookupStore, PublishedLookup, StoreOptions } from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS skein_pred_runs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  set_name TEXT NOT NULL, run_id TEXT NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL,
  created_at TEXT NOT NULL, status TEXT NOT NULL,
  row_count INTEGER NOT NULL DEFAULT 0, rejected_count INTEGER NOT NULL DEFAULT 0,
  default_value TEXT NOT NULL, gate_report TEXT, forced INTEGER NOT NULL DEFAULT 0,
  published_at TEXT, previous_run TEXT,
  UNIQUE (set_name, run_id)
);
CREATE TABLE IF NOT EXISTS skein_pred_values (
  set_name TEXT NOT NULL, run_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (set_name, run_id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS skein_pred_chunks (
  set_name TEXT NOT NULL, run_id TEXT NOT NULL, chunk_index INTEGER NOT NULL,
  rows INTEGER NOT NULL, rejected INTEGER NOT NULL,
  PRIMARY KEY (set_name, run_id, chunk_index)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS skein_pred_pointers (
  set_name TEXT PRIMARY KEY, published TEXT NOT NULL, previous TEXT
);`;

/** How long a connection waits for another's write lock before failing. */
const BUSY_TIMEOUT_MS = 5000;

const RUN_SELECT = `SELECT r.*, (p.published IS NOT NULL) AS published FROM skein_pred_runs r
  LEFT JOIN skein_pred_pointers p ON p.set_name = r.set_name AND p.published = r.run_id`;

interface PointerRow {
  published: string;
  previous: string | null;
}

/**
 * The embedded store: one SQLite file in WAL mode, so lookups from other processes read while a
 * batch job writes. better-sqlite3 is synchronous: every method runs to completion on the event
 * loop, and each multi-statement step is one transaction, so readers (in this process or another)
 * see a chunk, a publish or a rollback whole or not at all.
 */
export class SqlitePredictionStore implements LookupStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly nowMs: () => number;
  private lookupOne: Database.Statement | undefined;
  private lookupMany: Database.Statement | undefined;
  private readonly writer: SqliteChunkWriter | undefined;

  constructor(path: string, options: StoreOptions = {}) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // Another process writing holds the lock briefly; wait rather than fail at once.
    this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    this.db.exec(SCHEMA);
    this.nowMs = options.nowMs ?? Date.now;
    // An in-memory database is private to its connection: its chunks are written here.
    const inMemory = path === ':memory:' || path === '';
    this.writer = options.writerThread === false || inMemory ? undefined : new SqliteChunkWriter(path, BUSY_TIMEOUT_MS);
  }

  private now(): string {
    return new Date(this.nowMs()).toISOString();
  }

  private runSync(set: string, runId: string): RunInfo | undefined {
    const row = this.db.prepare(`${RUN_SELECT} WHERE r.set_name = ? AND r.run_id = ?`).get(set, runId) as RunRow | undefined;
    return row === undefined ? undefined : runFromRow(row);
  }

  private pointerSync(set: string): PointerRow | undefined {
    return this.db.prepare('SELECT published, previous FROM skein_pred_pointers WHERE set_name = ?').get(set) as PointerRow | undefined;
  }

  async beginRun(run: BeginRun): Promise<void> {
    checkSetName(run.set);
    checkRunId(run.runId);
    checkValue(run.defaultValue);
    this.db
      .prepare(`INSERT INTO skein_pred_runs (set_name, run_id, model, version, created_at, status, default_value)
        VALUES (?, ?, ?, ?, ?, 'writing', ?) ON CONFLICT (set_name, run_id) DO NOTHING`)
      .run(run.set, run.runId, run.model, run.version, this.now(), JSON.stringify(run.defaultValue));
  }

  async writeChunk(set: string, runId: string, chunkIndex: number, rows: readonly ChunkRow[], rejected: number): Promise<void> {
    checkChunk(set, runId, chunkIndex, rows, rejected);
    const keys = new Array<string>(rows.length);
    const values = new Array<string>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      keys[i] = rows[i]!.key;
      values[i] = JSON.stringify(rows[i]!.value);
    }
    const chunk: EncodedChunk = { set, runId, chunkIndex, keys, values, rejected };
    if (this.writer) await this.writer.write(chunk);
    else writeEncodedChunk(this.db, chunk);
  }

  async committedChunks(set: string, runId: string): Promise<Set<number>> {
    const rows = this.db.prepare('SELECT chunk_index FROM skein_pred_chunks WHERE set_name = ? AND run_id = ?').all(set, runId) as { chunk_index: number }[];
    return new Set(rows.map((r) => r.chunk_index));
  }

  async completeRun(set: string, runId: string): Promise<RunInfo> {
    return this.db.transaction(() => {
      const run = this.runSync(set, runId);
      if (run === undefined) throw runNotFound();
      this.db.prepare('UPDATE skein_pred_runs SET status = ? WHERE set_name = ? AND run_id = ?').run(statusAfterComplete(run.status), set, runId);
      return this.runSync(set, runId) as RunInfo;
    })();
  }

  async setGateResult(set: string, runId: string, passed: boolean, report: unknown): Promise<void> {
    this.db.transaction(() => {
      checkGateable(this.runSync(set, runId));
      this.db
        .prepare('UPDATE skein_pred_runs SET status = ?, gate_report = ? WHERE set_name = ? AND run_id = ?')
        .run(passed ? 'passed' : 'failed', JSON.stringify(report ?? null), set, runId);
    })();
  }

  async getRun(set: string, runId: string): Promise<RunInfo | undefined> {
    return this.runSync(set, runId);
  }

  async listRuns(set?: string): Promise<RunInfo[]> {
    const rows = (set === undefined
      ? this.db.prepare(`${RUN_SELECT} ORDER BY r.seq DESC`).all()
      : this.db.prepare(`${RUN_SELECT} WHERE r.set_name = ? ORDER BY r.seq DESC`).all(set)) as RunRow[];
    return rows.map(runFromRow);
  }

  async publish(set: string, runId: string, options: { force?: boolean } = {}): Promise<RunInfo> {
    return this.db.transaction(() => {
      const { forced } = checkPublishable(this.runSync(set, runId), options.force === true);
      const current = this.pointerSync(set);
      if (current?.published !== runId) {
        this.db
          .prepare(`INSERT INTO skein_pred_pointers (set_name, published, previous) VALUES (?, ?, ?)
            ON CONFLICT (set_name) DO UPDATE SET published = excluded.published, previous = excluded.previous`)
          .run(set, runId, current?.published ?? null);
        this.db
          .prepare('UPDATE skein_pred_runs SET published_at = ?, previous_run = ? WHERE set_name = ? AND run_id = ?')
          .run(this.now(), current?.published ?? null, set, runId);
      }
      if (forced) this.db.prepare('UPDATE skein_pred_runs SET forced = 1 WHERE set_name = ? AND run_id = ?').run(set, runId);
      return this.runSync(set, runId) as RunInfo;
    })();
  }

  async rollback(set: string): Promise<RunInfo> {
    return this.db.transaction(() => {
      const current = this.pointerSync(set);
      if (current === undefined) throw setNotFound();
      if (current.previous === null) throw runNotFound('no run was published before the current one; there is nothing to roll back to');
      const target = current.previous;
      const before = this.db.prepare('SELECT previous_run FROM skein_pred_runs WHERE set_name = ? AND run_id = ?').get(set, target) as { previous_run: string | null } | undefined;
      if (before === undefined) throw runNotFound('the previously published run no longer exists');
      const previous = before.previous_run === target ? null : before.previous_run;
      this.db.prepare('UPDATE skein_pred_pointers SET published = ?, previous = ? WHERE set_name = ?').run(target, previous, set);
      this.db.prepare('UPDATE skein_pred_runs SET published_at = ? WHERE set_name = ? AND run_id = ?').run(this.now(), set, target);
      return this.runSync(set, target) as RunInfo;
    })();
  }

  async published(set: string): Promise<RunInfo | undefined> {
    const row = this.db.prepare(`${RUN_SELECT} WHERE r.set_name = ? AND p.published IS NOT NULL`).get(set) as RunRow | undefined;
    return row === undefined ? undefined : runFromRow(row);
  }

  async lookup(set: string, keys: readonly string[]): Promise<(PredictionValue | undefined)[]> {
    return (await this.lookupPublished(set, keys)).values;
  }

  /**
   * One statement reads the pointer and the values, so it sees one run whole. The statements are
   * compiled once (preparing costs more than running them); one key takes an equality lookup.
   */
  async lookupPublished(set: string, keys: readonly string[]): Promise<PublishedLookup> {
    for (const key of keys) checkKey(key);
    if (keys.length === 1) {
      this.lookupOne ??= this.db.prepare(`SELECT p.published AS run_id, v.value AS value FROM skein_pred_pointers p
        LEFT JOIN skein_pred_values v ON v.set_name = p.set_name AND v.run_id = p.published AND v.key = ?
        WHERE p.set_name = ?`);
      const row = this.lookupOne.get(keys[0], set) as { run_id: string; value: string | null } | undefined;
      if (row === undefined) throw setNotFound();
      return { runId: row.run_id, values: [parseOrUndefined(row.value ?? undefined)] };
    }
    this.lookupMany ??= this.db.prepare(`SELECT p.published AS run_id, v.key AS key, v.value AS value FROM skein_pred_pointers p
        LEFT JOIN skein_pred_values v ON v.set_name = p.set_name AND v.run_id = p.published
          AND v.key IN (SELECT value FROM json_each(?))
        WHERE p.set_name = ?`);
    const rows = this.lookupMany.all(JSON.stringify(keys), set) as { run_id: string; key: string | null; value: string | null }[];
    const first = rows[0];
    if (first === undefined) throw setNotFound();
    const found = new Map<string, string>();
    for (const row of rows) if (row.key !== null && row.value !== null) found.set(row.key, row.value);
    return { runId: first.run_id, values: keys.map((k) => parseOrUndefined(found.get(k))) };
  }

  async *scanValues(set: string, runId: string, limit: number): AsyncIterable<ChunkRow> {
    checkLimit(limit);
    const page = this.db.prepare(`SELECT key, value FROM skein_pred_values WHERE set_name = ? AND run_id = ? AND key > ?
      ORDER BY key LIMIT ?`);
    let after = '';
    let left = limit;
    while (left > 0) {
      const rows = page.all(set, runId, after, Math.min(left, SCAN_PAGE_ROWS)) as { key: string; value: string }[];
      for (const row of rows) yield { key: row.key, value: JSON.parse(row.value) as PredictionValue };
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < Math.min(left, SCAN_PAGE_ROWS)) return;
      after = last.key;
      left -= rows.length;
    }
  }

  async close(): Promise<void> {
    await this.writer?.close();
    if (this.db.open) this.db.close();
  }
}

function parseOrUndefined(text: string | undefined): PredictionValue | undefined {
  return text === undefined ? undefined : (JSON.parse(text) as PredictionValue);
}
