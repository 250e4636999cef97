/**
 * The feature store: the latest values of each entity (a user, a product), by id. The contract,
 * for every implementation:
 *   - put is "latest wins" by updatedAtMs, per entity id, atomically per row: an update older than
 *     the stored one never overwrites it (late-arriving data), one of the same time does (the
 *     later arrival wins). Each row replaces the entity's values whole; it is not merged.
 *   - with a TTL for the entity, a value is served only until updatedAtMs + ttlMs; expired values
 *     are missing, and a put that is already expired is skipped.
 *   - get and put take any number of ids or rows and split them into batches of at most
 *     FEATURE_STORE_BATCH_MAX per round trip; ids not stored (or expired) are absent from the map.
 *   - methods reject (never hang for long) when the backend is unreachable; callers decide what
 *     a failure means (the assembler answers with defaults).
 *   - safe to call concurrently; close() once, after the last call.
 */
export interface EntityRecord {
  values: Record<string, unknown>;
  updatedAtMs: number;
}

export interface EntityUpdate extends EntityRecord {
  id: string;
}

export interface PutResult {
  /** Rows stored. */
  written: number;
  /** Rows skipped because the store held a newer update of the same id. */
  stale: number;
  /** Rows skipped because they had expired already (updatedAtMs + ttlMs ≤ now). */
  expired: number;
}

export interface FeatureStore {
  readonly kind: 'sqlite' | 'redis';
  get(entity: string, ids: readonly string[]): Promise<Map<string, EntityRecord>>;
  put(entity: string, rows: readonly EntityUpdate[]): Promise<PutResult>;
  close(): Promise<void>;
}

/** Ids per get round trip, rows per put round trip. */
export const FEATURE_STORE_BATCH_MAX = 500;

export interface FeatureStoreOptions {
  /** redis://host:port[/db] (or rediss://) → Redis; sqlite://path, a bare path or :memory: → SQLite. */
  url: string;
  /** Time to live of stored values, from their updatedAtMs: one for every entity, or per entity name. */
  ttlMs?: number | Readonly<Record<string, number>>;
  /** Namespace of keys (Redis) or rows (SQLite); default `skein:feat`. */
  keyPrefix?: string;
  /** Wall-clock time in epoch milliseconds, for TTLs (default Date.now). */
  nowMs?: () => number;
  /** Redis only: how long to wait for a connection before a call fails (default 2000). */
  connectTimeoutMs?: number;
}
