import { ServingError } from '../errors/index.js';
import { Rejects, entityUpdateOf, type EntityLogFields } from './entity-log.js';
import { readRecords, type RecordFormat } from './records.js';

/**
 * One entity's history, for point-in-time joins: per id, its updates sorted by time. `asOf(id, t)`
 * is the latest update with updatedAtMs ≤ t (never a later one); among updates of the same time,
 * the one later in the log wins, as it does in the store. With a TTL, an update is expired at t
 * when t − updatedAtMs ≥ ttlMs, exactly when the store would stop serving it.
 *
 * Memory: the whole log of one entity is held (its values as parsed), bounded by maxRows; the
 * exporter loads one timeline per entity, before streaming the events.
 */
export interface EntityTimeline {
  readonly rows: number;
  readonly rejected: Rejects;
  asOf(id: string, timeMs: number): Readonly<Record<string, unknown>> | undefined;
}

interface History {
  times: number[];
  values: Record<string, unknown>[];
}

export const DEFAULT_MAX_ENTITY_LOG_ROWS = 5_000_000;

export async function loadTimeline(
  log: EntityLogFields & { file: string; format: RecordFormat; label: string },
  options: { maxRows?: number; ttlMs?: number } = {},
): Promise<EntityTimeline> {
  const maxRows = options.maxRows ?? DEFAULT_MAX_ENTITY_LOG_ROWS;
  const staged = new Map<string, { t: number; seq: number; values: Record<string, unknown> }[]>();
  const rejected = new Rejects();
  let rows = 0;
  for await (const record of readRecords(log.file, log.format, log.label)) {
    if (rows === maxRows) {
      throw new ServingError('INVALID_CONFIG', `${log.label} holds more than ${maxRows} rows, the most one export holds in memory; raise maxEntityLogRows or compact the log`);
    }
    const row = entityUpdateOf(record.values, log);
    if (!row.ok) {
      rejected.add(record.position, row.reason);
      continue;
    }
    const list = staged.get(row.update.id) ?? [];
    if (list.length === 0) staged.set(row.update.id, list);
    list.push({ t: row.update.updatedAtMs, seq: rows, values: row.update.values });
    rows++;
  }
  const byId = new Map<string, History>();
  for (const [id, list] of staged) {
    list.sort((a, b) => a.t - b.t || a.seq - b.seq);
    byId.set(id, { times: list.map((u) => u.t), values: list.map((u) => u.values) });
  }
  const ttlMs = options.ttlMs;
  return {
    rows,
    rejected,
    asOf(id, timeMs) {
      const h = byId.get(id);
      if (!h) return undefined;
      // The number of updates with time ≤ timeMs; the last of them is the one in force.
      let lo = 0;
      let hi = h.times.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (h.times[mid]! <= timeMs) lo = mid + 1;
        else hi = mid;
      }
      if (lo === 0) return undefined;
      if (ttlMs !== undefined && timeMs - h.times[lo - 1]! >= ttlMs) return undefined;
      return h.values[lo - 1];
    },
  };
}
