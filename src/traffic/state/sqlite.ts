import Database from 'better-sqlite3';
import { ServingError } from '../../errors/index.js';
import {
  armOf, emptyKpis, eventIdentity, historyEntryOf, historyLimitOf, predictionTtlMsOf, setKpi, systemWallClock,
  HISTORY_MAX_ENTRIES, type WallClock,
} from './common.js';
import type {
  FeedbackEvent, FeedbackOutcome, HistoryEntry, KpiCounts, PredictionRecord, RolloutRecord, TrafficStateOptions, TrafficStateStore,
} from './types.js';

/** Expired rows are purged on every PURGE_EVERY_CALLS-th recordPredictions call… */
export const PURGE_EVERY_CALLS = 64;
/** …at most PURGE_MAX_ROWS predictions and PURGE_MAX_ROWS events at a time, so no call stalls. */
export const PURGE_MAX_ROWS = 1000;

export interface SqliteTrafficStateOptions extends TrafficStateOptions {
  /** Wall clock (epoch ms) for prediction expiry; tests pass a ManualClock. Default Date.now. */
  clock?: WallClock;
}

/*
 * Groups: kind 'version' (name = model, member = version) and kind 'arm' (name = experiment,
 * member = arm). Prediction values hold each prediction's running total per event type, so a
 * group's valueSumSq moves by new² − old² and stays the sum of squared per-prediction totals.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS skein_traffic_predictions (
  id TEXT PRIMARY KEY, model TEXT NOT NULL, version TEXT NOT NULL, experiment TEXT, arm TEXT, stage INTEGER,
  at_ms INTEGER NOT NULL, expires_at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS skein_traffic_predictions_expiry ON skein_traffic_predictions (expires_at_ms);
CREATE TABLE IF NOT EXISTS skein_traffic_prediction_values (
  prediction_id TEXT NOT NULL, type TEXT NOT NULL, total REAL NOT NULL,
  PRIMARY KEY (prediction_id, type)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS skein_traffic_events (
  identity TEXT PRIMARY KEY, prediction_id TEXT NOT NULL, expires_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS skein_traffic_events_expiry ON skein_traffic_events (expires_at_ms);
CREATE TABLE IF NOT EXISTS skein_traffic_groups (
  kind TEXT NOT NULL, name TEXT NOT NULL, member TEXT NOT NULL, predictions INTEGER NOT NULL,
  PRIMARY KEY (kind, name, member)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS skein_traffic_group_kpis (
  kind TEXT NOT NULL, name TEXT NOT NULL, member TEXT NOT NULL, type TEXT NOT NULL,
  events INTEGER NOT NULL, units INTEGER NOT NULL, value_sum REAL NOT NULL, value_sum_sq REAL NOT NULL,
  PRIMARY KEY (kind, name, member, type)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS skein_traffic_rollouts (
  model TEXT PRIMARY KEY, state TEXT NOT NULL, revision INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS skein_traffic_history (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL, at_ms INTEGER NOT NULL, event TEXT NOT NULL, detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS skein_traffic_history_model ON skein_traffic_history (model, seq);
CREATE TABLE IF NOT EXISTS skein_traffic_labels (
  model TEXT NOT NULL, label TEXT NOT NULL, version INTEGER NOT NULL,
  PRIMARY KEY (model, label)
) WITHOUT ROWID;`;

interface PredictionRow {
  id: string;
  model: string;
  version: string;
  experiment: string | null;
  arm: string | null;
  stage: number | null;
  at_ms: number;
  expires_at_ms: number;
}

interface KpiRow {
  member: string;
  type: string;
  events: number;
  units: number;
  value_sum: number;
  value_sum_sq: number;
}

type Group = readonly [kind: 'version' | 'arm', name: string, member: string];

/**
 * The embedded traffic state: one SQLite file in WAL mode. better-sqlite3 is synchronous, so each
 * method runs whole on the event loop; writes that read first run in IMMEDIATE transactions, so
 * another process on the same file waits on the lock (busy timeout) instead of failing mid-way.
 */
export function createSqliteTrafficState(options: SqliteTrafficStateOptions): TrafficStateStore {
  return new SqliteTrafficState(options);
}

class SqliteTrafficState implements TrafficStateStore {
  private readonly db: Database.Database;
  private readonly clock: WallClock;
  private readonly ttlMs: number;
  private recordCalls = 0;

  constructor(options: SqliteTrafficStateOptions) {
    this.ttlMs = predictionTtlMsOf(options);
    this.clock = options.clock ?? systemWallClock;
    this.db = openDatabase(options.url);
  }

  async recordPredictions(records: readonly PredictionRecord[]): Promise<void> {
    guard(() => {
      const expiresAtMs = this.clock.now() + this.ttlMs;
      const insert = this.db.prepare(`INSERT INTO skein_traffic_predictions (id, model, version, experiment, arm, stage, at_ms, expires_at_ms)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`);
      const count = this.db.prepare(`INSERT INTO skein_traffic_groups (kind, name, member, predictions) VALUES (?, ?, ?, 1)
        ON CONFLICT (kind, name, member) DO UPDATE SET predictions = predictions + 1`);
      this.db.transaction(() => {
        for (const r of records) {
          // A prediction id recorded twice (a retried call) is counted once.
          const { changes } = insert.run(r.id, r.model, r.version, r.experiment ?? null, r.arm ?? null, r.stage ?? null, r.atMs, expiresAtMs);
          if (changes === 0) continue;
          for (const group of groupsOf(r)) count.run(...group);
        }
      }).immediate();
      if (++this.recordCalls % PURGE_EVERY_CALLS === 0) this.purgeExpired();
    });
  }

  private purgeExpired(): void {
    const nowMs = this.clock.now();
    this.db.transaction(() => {
      const ids = this.db
        .prepare('SELECT id FROM skein_traffic_predictions WHERE expires_at_ms <= ? ORDER BY expires_at_ms LIMIT ?')
        .pluck()
        .all(nowMs, PURGE_MAX_ROWS) as string[];
      const idsJson = JSON.stringify(ids);
      this.db.prepare('DELETE FROM skein_traffic_prediction_values WHERE prediction_id IN (SELECT value FROM json_each(?))').run(idsJson);
      this.db.prepare('DELETE FROM skein_traffic_predictions WHERE id IN (SELECT value FROM json_each(?))').run(idsJson);
      this.db
        .prepare(`DELETE FROM skein_traffic_events WHERE identity IN
          (SELECT identity FROM skein_traffic_events WHERE expires_at_ms <= ? ORDER BY expires_at_ms LIMIT ?)`)
        .run(nowMs, PURGE_MAX_ROWS);
    }).immediate();
  }

  private livePrediction(id: string, nowMs: number): PredictionRow | undefined {
    return this.db.prepare('SELECT * FROM skein_traffic_predictions WHERE id = ? AND expires_at_ms > ?').get(id, nowMs) as PredictionRow | undefined;
  }

  async getPrediction(id: string): Promise<PredictionRecord | undefined> {
    return guard(() => {
      const row = this.livePrediction(id, this.clock.now());
      return row === undefined ? undefined : recordOf(row);
    });
  }

  async addFeedback(event: FeedbackEvent): Promise<FeedbackOutcome> {
    return guard(() => this.db.transaction((): FeedbackOutcome => {
      const nowMs = this.clock.now();
      const row = this.livePrediction(event.predictionId, nowMs);
      if (row === undefined) return 'unknown_prediction';
      // An identity whose prediction has expired (not yet purged) is free to be used again.
      const claimed = this.db
        .prepare(`INSERT INTO skein_traffic_events (identity, prediction_id, expires_at_ms) VALUES (?, ?, ?)
          ON CONFLICT (identity) DO UPDATE SET prediction_id = excluded.prediction_id, expires_at_ms = excluded.expires_at_ms
          WHERE skein_traffic_events.expires_at_ms <= ?`)
        .run(eventIdentity(event), row.id, row.expires_at_ms, nowMs);
      if (claimed.changes === 0) return 'duplicate';
      const value = event.value ?? 0;
      const old = this.db
        .prepare('SELECT total FROM skein_traffic_prediction_values WHERE prediction_id = ? AND type = ?')
        .pluck()
        .get(row.id, event.type) as number | undefined;
      const total = (old ?? 0) + value;
      this.db
        .prepare(`INSERT INTO skein_traffic_prediction_values (prediction_id, type, total) VALUES (?, ?, ?)
          ON CONFLICT (prediction_id, type) DO UPDATE SET total = excluded.total`)
        .run(row.id, event.type, total);
      const bump = this.db.prepare(`INSERT INTO skein_traffic_group_kpis (kind, name, member, type, events, units, value_sum, value_sum_sq)
        VALUES (?, ?, ?, ?, 1, ?, ?, ?)
        ON CONFLICT (kind, name, member, type) DO UPDATE SET events = events + 1, units = units + excluded.units,
          value_sum = value_sum + excluded.value_sum, value_sum_sq = value_sum_sq + excluded.value_sum_sq`);
      const firstOfType = old === undefined ? 1 : 0;
      const sumSqDelta = total * total - (old ?? 0) * (old ?? 0);
      for (const group of groupsOf(recordOf(row))) bump.run(...group, event.type, firstOfType, value, sumSqDelta);
      return 'counted';
    }).immediate());
  }

  async experimentKpis(experiment: string): Promise<Record<string, KpiCounts>> {
    return guard(() => this.groupKpis('arm', experiment));
  }

  async versionKpis(model: string): Promise<Record<string, KpiCounts>> {
    return guard(() => this.groupKpis('version', model));
  }

  /** One deferred (read) transaction, so the counts and the KPIs are of the same moment. */
  private groupKpis(kind: Group[0], name: string): Record<string, KpiCounts> {
    return this.db.transaction(() => {
      const out: Record<string, KpiCounts> = {};
      const groups = this.db.prepare('SELECT member, predictions FROM skein_traffic_groups WHERE kind = ? AND name = ?').all(kind, name) as { member: string; predictions: number }[];
      for (const g of groups) out[g.member] = { ...emptyKpis(), predictions: g.predictions };
      const rows = this.db.prepare('SELECT * FROM skein_traffic_group_kpis WHERE kind = ? AND name = ?').all(kind, name) as KpiRow[];
      for (const row of rows) {
        const kpis = (out[row.member] ??= emptyKpis());
        setKpi(kpis, row.type, 'events', row.events);
        setKpi(kpis, row.type, 'units', row.units);
        setKpi(kpis, row.type, 'valueSum', row.value_sum);
        setKpi(kpis, row.type, 'valueSumSq', row.value_sum_sq);
      }
      return out;
    })();
  }

  async getRollout(model: string): Promise<RolloutRecord | undefined> {
    return guard(() => {
      const row = this.db.prepare('SELECT state, revision FROM skein_traffic_rollouts WHERE model = ?').get(model) as { state: string; revision: number } | undefined;
      return row === undefined ? undefined : { model, state: JSON.parse(row.state) as unknown, revision: row.revision };
    });
  }

  async putRollout(model: string, state: unknown, expectedRevision: number): Promise<boolean> {
    return guard(() => {
      const json = JSON.stringify(state ?? null);
      const { changes } = expectedRevision === 0
        ? this.db.prepare('INSERT INTO skein_traffic_rollouts (model, state, revision) VALUES (?, ?, 1) ON CONFLICT (model) DO NOTHING').run(model, json)
        : this.db.prepare('UPDATE skein_traffic_rollouts SET state = ?, revision = revision + 1 WHERE model = ? AND revision = ?').run(json, model, expectedRevision);
      return changes === 1;
    });
  }

  async appendHistory(model: string, entry: HistoryEntry): Promise<void> {
    guard(() => this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO skein_traffic_history (model, at_ms, event, detail) VALUES (?, ?, ?, ?)')
        .run(model, entry.atMs, entry.event, JSON.stringify(entry.detail));
      this.db
        .prepare(`DELETE FROM skein_traffic_history WHERE model = ? AND seq <=
          (SELECT seq FROM skein_traffic_history WHERE model = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`)
        .run(model, model, HISTORY_MAX_ENTRIES);
    }).immediate());
  }

  async history(model: string, limit: number): Promise<HistoryEntry[]> {
    return guard(() => {
      const rows = this.db
        .prepare('SELECT at_ms, event, detail FROM skein_traffic_history WHERE model = ? ORDER BY seq DESC LIMIT ?')
        .all(model, historyLimitOf(limit)) as { at_ms: number; event: string; detail: string }[];
      return rows.reverse().map((r) => historyEntryOf(r.at_ms, r.event, r.detail));
    });
  }

  async getLabels(model: string): Promise<Record<string, number>> {
    return guard(() => {
      const rows = this.db.prepare('SELECT label, version FROM skein_traffic_labels WHERE model = ?').all(model) as { label: string; version: number }[];
      return Object.fromEntries(rows.map((r) => [r.label, r.version]));
    });
  }

  async setLabel(model: string, label: string, version: number): Promise<void> {
    guard(() => {
      this.db
        .prepare(`INSERT INTO skein_traffic_labels (model, label, version) VALUES (?, ?, ?)
          ON CONFLICT (model, label) DO UPDATE SET version = excluded.version`)
        .run(model, label, version);
    });
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function openDatabase(path: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    // Another process writing holds the lock briefly; wait rather than fail at once.
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    return db;
  } catch (err) {
    db?.close();
    throw new ServingError('STORE_UNAVAILABLE', 'the traffic state file cannot be opened; check that its directory exists and is writable', {
      cause: err instanceof Error ? err.message : String(err),
    });
  }
}

/** SQLite failures (a lock held past the busy timeout, a full or read-only disk) are outages. */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof Database.SqliteError) {
      throw new ServingError('STORE_UNAVAILABLE', 'the traffic state file could not be read or written; retry later', { cause: err.message, sqlite: err.code });
    }
    throw err;
  }
}

function groupsOf(record: PredictionRecord): Group[] {
  const groups: Group[] = [['version', record.model, record.version]];
  const arm = armOf(record);
  if (arm !== undefined) groups.push(['arm', arm.experiment, arm.arm]);
  return groups;
}

function recordOf(row: PredictionRow): PredictionRecord {
  const record: PredictionRecord = { id: row.id, model: row.model, version: row.version, atMs: row.at_ms };
  if (row.experiment !== null) record.experiment = row.experiment;
  if (row.arm !== null) record.arm = row.arm;
  if (row.stage !== null) record.stage = row.stage;
  return record;
}
