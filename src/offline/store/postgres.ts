import pg from 'pg';
import { ServingError, isServingError } from '../../errors/index.js';
import type { BeginRun, ChunkRow, PredictionValue, RunInfo } from '../types.js';
import { checkGateable, checkPublishable, checkWritable, runNotFound, setNotFound, statusAfterComplete } from './lifecycle.js';
import { checkKey, checkRunId, checkSetName } from './names.js';
import { SCAN_PAGE_ROWS, checkChunk, checkLimit, checkValue, runFromRow, type RunRow } from './rows.js';
import type { LookupStore, PublishedLookup, StoreOptions } from './store.js';

const SCHEMA_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function ddl(s: string): string {
  // Keys compare bytewise (COLLATE "C") so the keyset scan pages in the same order everywhere.
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.skein_pred_runs (
  seq BIGSERIAL PRIMARY KEY,
  set_name TEXT NOT NULL, run_id TEXT NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL,
  created_at TEXT NOT NULL, status TEXT NOT NULL,
  row_count INTEGER NOT NULL DEFAULT 0, rejected_count INTEGER NOT NULL DEFAULT 0,
  default_value TEXT NOT NULL, gate_report TEXT, forced BOOLEAN NOT NULL DEFAULT FALSE,
  published_at TEXT, previous_run TEXT,
  UNIQUE (set_name, run_id)
);
CREATE TABLE IF NOT EXISTS ${s}.skein_pred_values (
  set_name TEXT NOT NULL, run_id TEXT NOT NULL, key TEXT COLLATE "C" NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (set_name, run_id, key)
);
CREATE TABLE IF NOT EXISTS ${s}.skein_pred_chunks (
  set_name TEXT NOT NULL, run_id TEXT NOT NULL, chunk_index INTEGER NOT NULL,
  rows INTEGER NOT NULL, rejected INTEGER NOT NULL,
  PRIMARY KEY (set_name, run_id, chunk_index)
);
CREATE TABLE IF NOT EXISTS ${s}.skein_pred_pointers (
  set_name TEXT PRIMARY KEY, published TEXT NOT NULL, previous TEXT
);`;
}

type Query = (text: string, values?: unknown[]) => Promise<pg.QueryResult>;

/**
 * PostgreSQL store: the SQLite schema under a schema of its own (`?schema=name` in the URL,
 * default `public`). Multi-statement steps run in one transaction with the run row locked
 * (FOR UPDATE), so two processes cannot publish or write the same run at once; a lookup is one
 * statement and so reads one snapshot of the pointer and the values.
 */
export class PostgresPredictionStore implements LookupStore {
  readonly kind = 'postgres' as const;
  private readonly t: { runs: string; values: string; chunks: string; pointers: string };
  private readonly runSelect: string;

  private constructor(private readonly pool: pg.Pool, schema: string, private readonly nowMs: () => number) {
    this.t = {
      runs: `${schema}.skein_pred_runs`,
      values: `${schema}.skein_pred_values`,
      chunks: `${schema}.skein_pred_chunks`,
      pointers: `${schema}.skein_pred_pointers`,
    };
    this.runSelect = `SELECT r.*, (p.published IS NOT NULL) AS published FROM ${this.t.runs} r
      LEFT JOIN ${this.t.pointers} p ON p.set_name = r.set_name AND p.published = r.run_id`;
  }

  static async open(url: string, options: StoreOptions = {}): Promise<PostgresPredictionStore> {
    const parsed = new URL(url);
    const schema = parsed.searchParams.get('schema') ?? 'public';
    if (!SCHEMA_PATTERN.test(schema)) {
      throw new ServingError('INVALID_CONFIG', 'the schema parameter of a postgres:// store must be 1-63 characters from [A-Za-z0-9_], not starting with a digit');
    }
    parsed.searchParams.delete('schema');
    const pool = new pg.Pool({ connectionString: parsed.toString(), max: 4 });
    // An idle client losing its connection (the store restarting) must not crash the process.
    pool.on('error', () => undefined);
    const quoted = `"${schema}"`;
    try {
      await pool.query(ddl(quoted));
    } catch (err) {
      await pool.end();
      throw err;
    }
    return new PostgresPredictionStore(pool, quoted, options.nowMs ?? Date.now);
  }

  private now(): string {
    return new Date(this.nowMs()).toISOString();
  }

  private async tx<T>(fn: (query: Query) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // A connection lost mid-transaction is also emitted as 'error' on the client; the failing
    // query reports it, so the event must not crash the process.
    const onError = (err: Error): void => {
      broken = err;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await fn((text, values) => client.query(text, values));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // A refused step (a ServingError) leaves a healthy connection; anything else may not, and a
      // dead connection handed back to the pool would fail the next caller too.
      if (!isServingError(err)) broken = err instanceof Error ? err : new Error(String(err));
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  private async runIn(query: Query, set: string, runId: string, lock = false): Promise<RunInfo | undefined> {
    const res = await query(`${this.runSelect} WHERE r.set_name = $1 AND r.run_id = $2${lock ? ' FOR UPDATE OF r' : ''}`, [set, runId]);
    const row = res.rows[0] as RunRow | undefined;
    return row === undefined ? undefined : runFromRow(row);
  }

  async beginRun(run: BeginRun): Promise<void> {
    checkSetName(run.set);
    checkRunId(run.runId);
    checkValue(run.defaultValue);
    await this.pool.query(
      `INSERT INTO ${this.t.runs} (set_name, run_id, model, version, created_at, status, default_value)
       VALUES ($1, $2, $3, $4, $5, 'writing', $6) ON CONFLICT (set_name, run_id) DO NOTHING`,
      [run.set, run.runId, run.model, run.version, this.now(), JSON.stringify(run.defaultValue)],
    );
  }

  async writeChunk(set: string, runId: string, chunkIndex: number, rows: readonly ChunkRow[], rejected: number): Promise<void> {
    checkChunk(set, runId, chunkIndex, rows, rejected);
    // One upsert may not touch a row twice: a key repeated within the chunk keeps its last value.
    const byKey = new Map(rows.map((r) => [r.key, JSON.stringify(r.value)]));
    await this.tx(async (query) => {
      checkWritable(await this.runIn(query, set, runId, true));
      await query(
        `INSERT INTO ${this.t.values} (set_name, run_id, key, value) SELECT $1, $2, k, v FROM unnest($3::text[], $4::text[]) AS t(k, v)
         ON CONFLICT (set_name, run_id, key) DO UPDATE SET value = excluded.value`,
        [set, runId, [...byKey.keys()], [...byKey.values()]],
      );
      await query(
        `INSERT INTO ${this.t.chunks} (set_name, run_id, chunk_index, rows, rejected) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (set_name, run_id, chunk_index) DO UPDATE SET rows = excluded.rows, rejected = excluded.rejected`,
        [set, runId, chunkIndex, rows.length, rejected],
      );
      await query(
        `UPDATE ${this.t.runs} SET (row_count, rejected_count) =
           (SELECT COALESCE(SUM(rows), 0), COALESCE(SUM(rejected), 0) FROM ${this.t.chunks} WHERE set_name = $1 AND run_id = $2)
         WHERE set_name = $1 AND run_id = $2`,
        [set, runId],
      );
    });
  }

  async committedChunks(set: string, runId: string): Promise<Set<number>> {
    const res = await this.pool.query(`SELECT chunk_index FROM ${this.t.chunks} WHERE set_name = $1 AND run_id = $2`, [set, runId]);
    return new Set(res.rows.map((r: { chunk_index: number }) => r.chunk_index));
  }

  async completeRun(set: string, runId: string): Promise<RunInfo> {
    return this.tx(async (query) => {
      const run = await this.runIn(query, set, runId, true);
      if (run === undefined) throw runNotFound();
      await query(`UPDATE ${this.t.runs} SET status = $3 WHERE set_name = $1 AND run_id = $2`, [set, runId, statusAfterComplete(run.status)]);
      return (await this.runIn(query, set, runId)) as RunInfo;
    });
  }

  async setGateResult(set: string, runId: string, passed: boolean, report: unknown): Promise<void> {
    await this.tx(async (query) => {
      checkGateable(await this.runIn(query, set, runId, true));
      await query(`UPDATE ${this.t.runs} SET status = $3, gate_report = $4 WHERE set_name = $1 AND run_id = $2`, [
        set, runId, passed ? 'passed' : 'failed', JSON.stringify(report ?? null),
      ]);
    });
  }

  async getRun(set: string, runId: string): Promise<RunInfo | undefined> {
    return this.runIn((text, values) => this.pool.query(text, values), set, runId);
  }

  async listRuns(set?: string): Promise<RunInfo[]> {
    const res = set === undefined
      ? await this.pool.query(`${this.runSelect} ORDER BY r.seq DESC`)
      : await this.pool.query(`${this.runSelect} WHERE r.set_name = $1 ORDER BY r.seq DESC`, [set]);
    return (res.rows as RunRow[]).map(runFromRow);
  }

  async publish(set: string, runId: string, options: { force?: boolean } = {}): Promise<RunInfo> {
    return this.tx(async (query) => {
      const { forced } = checkPublishable(await this.runIn(query, set, runId, true), options.force === true);
      const current = (await query(`SELECT published FROM ${this.t.pointers} WHERE set_name = $1 FOR UPDATE`, [set])).rows[0] as { published: string } | undefined;
      if (current?.published !== runId) {
        await query(
          `INSERT INTO ${this.t.pointers} (set_name, published, previous) VALUES ($1, $2, $3)
           ON CONFLICT (set_name) DO UPDATE SET published = excluded.published, previous = excluded.previous`,
          [set, runId, current?.published ?? null],
        );
        await query(`UPDATE ${this.t.runs} SET published_at = $3, previous_run = $4 WHERE set_name = $1 AND run_id = $2`, [
          set, runId, this.now(), current?.published ?? null,
        ]);
      }
      if (forced) await query(`UPDATE ${this.t.runs} SET forced = TRUE WHERE set_name = $1 AND run_id = $2`, [set, runId]);
      return (await this.runIn(query, set, runId)) as RunInfo;
    });
  }

  async rollback(set: string): Promise<RunInfo> {
    return this.tx(async (query) => {
      const current = (await query(`SELECT published, previous FROM ${this.t.pointers} WHERE set_name = $1 FOR UPDATE`, [set])).rows[0] as
        | { published: string; previous: string | null }
        | undefined;
      if (current === undefined) throw setNotFound();
      if (current.previous === null) throw runNotFound('no run was published before the current one; there is nothing to roll back to');
      const target = current.previous;
      const before = (await query(`SELECT previous_run FROM ${this.t.runs} WHERE set_name = $1 AND run_id = $2`, [set, target])).rows[0] as
        | { previous_run: string | null }
        | undefined;
      if (before === undefined) throw runNotFound('the previously published run no longer exists');
      const previous = before.previous_run === target ? null : before.previous_run;
      await query(`UPDATE ${this.t.pointers} SET published = $2, previous = $3 WHERE set_name = $1`, [set, target, previous]);
      await query(`UPDATE ${this.t.runs} SET published_at = $3 WHERE set_name = $1 AND run_id = $2`, [set, target, this.now()]);
      return (await this.runIn(query, set, target)) as RunInfo;
    });
  }

  async published(set: string): Promise<RunInfo | undefined> {
    const res = await this.pool.query(`${this.runSelect} WHERE r.set_name = $1 AND p.published IS NOT NULL`, [set]);
    const row = res.rows[0] as RunRow | undefined;
    return row === undefined ? undefined : runFromRow(row);
  }

  async lookup(set: string, keys: readonly string[]): Promise<(PredictionValue | undefined)[]> {
    return (await this.lookupPublished(set, keys)).values;
  }

  /** One statement: READ COMMITTED gives it one snapshot of the pointer and the values. */
  async lookupPublished(set: string, keys: readonly string[]): Promise<PublishedLookup> {
    for (const key of keys) checkKey(key);
    const res = await this.pool.query(
      `SELECT p.published AS run_id, v.key AS key, v.value AS value FROM ${this.t.pointers} p
       LEFT JOIN ${this.t.values} v ON v.set_name = p.set_name AND v.run_id = p.published AND v.key = ANY($2::text[])
       WHERE p.set_name = $1`,
      [set, [...keys]],
    );
    const rows = res.rows as { run_id: string; key: string | null; value: string | null }[];
    const first = rows[0];
    if (first === undefined) throw setNotFound();
    const found = new Map<string, string>();
    for (const row of rows) if (row.key !== null && row.value !== null) found.set(row.key, row.value);
    return { runId: first.run_id, values: keys.map((k) => { const v = found.get(k); return v === undefined ? undefined : (JSON.parse(v) as PredictionValue); }) };
  }

  async *scanValues(set: string, runId: string, limit: number): AsyncIterable<ChunkRow> {
    checkLimit(limit);
    let after = '';
    let left = limit;
    while (left > 0) {
      const size = Math.min(left, SCAN_PAGE_ROWS);
      const res = await this.pool.query(
        `SELECT key, value FROM ${this.t.values} WHERE set_name = $1 AND run_id = $2 AND key > $3 ORDER BY key LIMIT $4`,
        [set, runId, after, size],
      );
      const rows = res.rows as { key: string; value: string }[];
      for (const row of rows) yield { key: row.key, value: JSON.parse(row.value) as PredictionValue };
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < size) return;
      after = last.key;
      left -= rows.length;
    }
  }

  async close(): Promise<void> {
    if (this.pool.ended) return;
    await this.pool.end();
  }
}
