import { MAX_STORED_ID_LENGTH } from './store/common.js';
import type { EntityUpdate } from './store/index.js';
import { asString, parseInstantMs } from './values.js';

/**
 * One row of an entity log (`skein features ingest`, and the exporter's point-in-time joins) as
 * an update: the id from idField, the time from timeField (epoch milliseconds, or ISO-8601 with
 * an offset), and every other field as the entity's values. Each row is a full snapshot of the
 * entity: a later row replaces the values, it does not merge into them.
 */
export interface EntityLogFields {
  idField: string;
  timeField: string;
}

export type EntityLogRow = { ok: true; update: EntityUpdate } | { ok: false; reason: string };

export function entityUpdateOf(values: Record<string, unknown>, fields: EntityLogFields): EntityLogRow {
  const id = asString(values[fields.idField]);
  if (id === undefined || id.length === 0 || id.length > MAX_STORED_ID_LENGTH) {
    return { ok: false, reason: `field "${fields.idField}" must hold an id of 1-${MAX_STORED_ID_LENGTH} characters` };
  }
  const updatedAtMs = parseInstantMs(values[fields.timeField]);
  if (updatedAtMs === undefined) {
    return { ok: false, reason: `field "${fields.timeField}" must hold epoch milliseconds or an ISO-8601 time with an offset` };
  }
  const rest = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(values)) if (k !== fields.idField && k !== fields.timeField) rest[k] = v;
  return { ok: true, update: { id, values: rest, updatedAtMs } };
}

/** Keeps the first few rejected rows for the summary; counts all of them. */
export class Rejects {
  static readonly KEEP = 10;
  count = 0;
  readonly first: { position: number; reason: string }[] = [];

  add(position: number, reason: string): void {
    this.count++;
    if (this.first.length < Rejects.KEEP) this.first.push({ position, reason });
  }
}
