import Database from 'better-sqlite3';
import { FEATURE_STORE_BATCH_MAX, type EntityRecord, type EntityUpdate, type FeatureStore, type FeatureStoreOptions, type PutResult } from './types.js';
import { checkEntityName, checkUpdate, chunks, ttlFor } from './common.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS skein_feature_values (
  ns TEXT NOT NULL, entity TEXT NOT NULL, id TEXT NOT NULL,
  vals TEXT NOT NULL, updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY (ns, entity, id)
) WITHOUT ROWID;`;

/**
 * The embedded feature store: one SQLite file (WAL, so a server reads while `skein features
 * ingest` writes from another process). better-sqlite3 is synchronous, so each call runs whole on
 * the event loop; each put batch is one transaction, and latest-wins is the upsert's WHERE, so a
 * late-arriving older update can never overwrite a newer one. Expired values stay in the file
 * until overwritten; reads skip them.
 */
export class SqliteFeatureStore implements FeatureStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly ns: string;
  private readonly nowMs: () => number;
  private readonly ttlMs: FeatureStoreOptions['ttlMs'];
  private readonly upsert: Database.Statement;
  private readonly selects = new Map<number, Database.Statement>();

  constructor(path: string, options: Omit<FeatureStoreOptions, 'url'> & { keyPrefix: string }) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.ns = options.keyPrefix;
    this.nowMs = options.nowMs ?? Date.now;
    this.ttlMs = options.ttlMs;
    this.upsert = this.db.prepare(`INSERT INTO skein_feature_values (ns, entity, id, vals, updated_at_ms) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (ns, entity, id) DO UPDATE SET vals = excluded.vals, updated_at_ms = excluded.updated_at_ms
      WHERE excluded.updated_at_ms >= skein_feature_values.updated_at_ms`);
  }

  /**
   * The SELECT for `n` ids, compiled once per n (at most FEATURE_STORE_BATCH_MAX of them): compiling
   * it on every lookup cost more than running it.
   */
  private selectFor(n: number): Database.Statement {
    let st = this.selects.get(n);
    if (!st) {
      st = this.db.prepare(`SELECT id, vals, updated_at_ms FROM skein_feature_values WHERE ns = ? AND entity = ? AND id IN (${new Array(n).fill('?').join(',')})`);
      this.selects.set(n, st);
    }
    return st;
  }

  async get(entity: string, ids: readonly string[]): Promise<Map<string, EntityRecord>> {
    checkEntityName(entity);
    const ttl = ttlFor(this.ttlMs, entity);
    const oldestMs = ttl === undefined ? -Infinity : this.nowMs() - ttl;
    const out = new Map<string, EntityRecord>();
    for (const batch of chunks([...new Set(ids)], FEATURE_STORE_BATCH_MAX)) {
      const rows = this.selectFor(batch.length).all(this.ns, entity, ...batch) as { id: string; vals: string; updated_at_ms: number }[];
      for (const r of rows) {
        if (r.updated_at_ms <= oldestMs) continue;
        out.set(r.id, { values: JSON.parse(r.vals) as Record<string, unknown>, updatedAtMs: r.updated_at_ms });
      }
    }
    return out;
  }

  async put(entity: string, rows: readonly EntityUpdate[]): Promise<PutResult> {
    checkEntityName(entity);
    for (const row of rows) checkUpdate(row);
    const ttl = ttlFor(this.ttlMs, entity);
    const oldestMs = ttl === undefined ? -Infinity : this.nowMs() - ttl;
    const result: PutResult = { written: 0, stale: 0, expired: 0 };
    for (const batch of chunks(rows, FEATURE_STORE_BATCH_MAX)) {
      this.db.transaction(() => {
        for (const row of batch) {
          if (row.updatedAtMs <= oldestMs) {
            result.expired++;
            continue;
          }
          const changed = this.upsert.run(this.ns, entity, row.id, JSON.stringify(row.values), row.updatedAtMs).changes;
          if (changed > 0) result.written++;
          else result.stale++;
        }
      })();
    }
    return result;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
