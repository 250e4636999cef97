import type Database from 'better-sqlite3';
import type { RunInfo } from '../types.js';
import { checkWritable } from './lifecycle.js';

/** A chunk ready for SQLite: keys and their values already as JSON text, in the same order. */
export interface EncodedChunk {
  set: string;
  runId: string;
  chunkIndex: number;
  keys: readonly string[];
  values: readonly string[];
  rejected: number;
}

interface ChunkStatements {
  status: Database.Statement;
  upsert: Database.Statement;
  chunk: Database.Statement;
  counts: Database.Statement;
  write: (c: EncodedChunk) => void;
}

const statements = new WeakMap<Database.Database, ChunkStatements>();

function prepare(db: Database.Database): ChunkStatements {
  const s = {
    status: db.prepare('SELECT status FROM skein_pred_runs WHERE set_name = ? AND run_id = ?'),
    upsert: db.prepare(`INSERT INTO skein_pred_values (set_name, run_id, key, value) VALUES (?, ?, ?, ?)
      ON CONFLICT (set_name, run_id, key) DO UPDATE SET value = excluded.value`),
    chunk: db.prepare(`INSERT INTO skein_pred_chunks (set_name, run_id, chunk_index, rows, rejected) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (set_name, run_id, chunk_index) DO UPDATE SET rows = excluded.rows, rejected = excluded.rejected`),
    counts: db.prepare(`UPDATE skein_pred_runs SET
      row_count = (SELECT COALESCE(SUM(rows), 0) FROM skein_pred_chunks WHERE set_name = ? AND run_id = ?),
      rejected_count = (SELECT COALESCE(SUM(rejected), 0) FROM skein_pred_chunks WHERE set_name = ? AND run_id = ?)
      WHERE set_name = ? AND run_id = ?`),
  } as ChunkStatements;
  s.write = db.transaction((c: EncodedChunk) => {
    checkWritable(s.status.get(c.set, c.runId) as Pick<RunInfo, 'status'> | undefined);
    for (let i = 0; i < c.keys.length; i++) s.upsert.run(c.set, c.runId, c.keys[i], c.values[i]);
    s.chunk.run(c.set, c.runId, c.chunkIndex, c.keys.length, c.rejected);
    s.counts.run(c.set, c.runId, c.set, c.runId, c.set, c.runId);
  });
  statements.set(db, s);
  return s;
}

/**
 * Commits one chunk in one transaction: its values (a rewrite of the same key replaces the
 * value, so a resumed chunk is idempotent), its row in skein_pred_chunks, and the run's counts.
 * Refused unless the run exists and is still being written. Used on the event loop and by the
 * writer thread alike.
 */
export function writeEncodedChunk(db: Database.Database, chunk: EncodedChunk): void {
  (statements.get(db) ?? prepare(db)).write(chunk);
}
