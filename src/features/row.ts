import type { Value } from './chain.js';
import type { CompiledFeatureSet, CompiledTensor, RawRow, SparseColumns } from './compile.js';

/**
 * The one implementation of "raw row + entity values → feature values and tensor columns",
 * shared by the assembler (serving) and the exporter (training rows). Nothing here does I/O.
 */

/** What a widening step made of one present value: the value recorded and the columns set. */
export interface Widened {
  recorded: number | string;
  columns: SparseColumns;
}

/**
 * Every feature's outcome in one row, as parallel arrays indexed by feature (no object per
 * feature): the recorded values, tensor columns and BYTES strings are derived from them when
 * written (writeFp32Row, writeBytesRow, vectorOf), so a caller pays only for what it writes.
 */
export interface ComputedRow {
  /** Per feature: its value after the chain, before any widening step; null = missing. */
  values: (Value | null)[];
  /**
   * Per feature that ends in a widening step: its outcome, null when missing (the widening step
   * may find a present value missing, e.g. a cross whose other side is missing). Allocated on the
   * first widened value only: an index without an entry is missing.
   */
  widened: readonly (Widened | null)[];
  /** Features that were missing and took their default. */
  missing: number;
}

function recordOf(v: Value): number | string {
  if (typeof v === 'number' || typeof v === 'string') return v;
  return Array.isArray(v) ? v.join(' ') : JSON.stringify(v);
}

/** Shared by every row without a widened value; never written. */
const NO_WIDENED: readonly (Widened | null)[] = Object.freeze([]);

/** Evaluates every feature of the set, in declaration order, for one row. */
export function computeRow(set: CompiledFeatureSet, raw: RawRow, entities: readonly (Readonly<Record<string, unknown>> | undefined)[]): ComputedRow {
  const features = set.features;
  const values: (Value | null)[] = new Array<Value | null>(features.length).fill(null);
  let widened = NO_WIDENED as (Widened | null)[];
  let missing = 0;
  const input = { raw, entities };
  // Shared intermediate values of this row (see CompiledFeature.slots): undefined = not computed yet.
  const cache: (Value | null | undefined)[] = new Array<Value | null | undefined>(set.slotCount);
  for (let i = 0; i < features.length; i++) {
    const f = features[i]!;
    const slots = f.slots;
    const steps = f.steps;
    let v = cache[slots[0]!];
    if (v === undefined) cache[slots[0]!] = v = f.source(input);
    for (let s = 0; v !== null && s < steps.length; s++) {
      const slot = slots[s + 1]!;
      const known = cache[slot];
      if (known !== undefined) v = known;
      else cache[slot] = v = steps[s]!(v, values);
    }
    values[i] = v;
    if (v === null) missing++;
    else if (f.widening) {
      const w = f.widening.apply(v, values);
      if (w === null) missing++;
      else {
        if (widened === NO_WIDENED) widened = new Array<Widened | null>(features.length).fill(null);
        widened[i] = w;
      }
    }
  }
  return { values, widened, missing };
}

/** What the vectors record for feature `index` of `row`: the value (tokens joined by a space), or null when missing. */
export function recordedOf(set: CompiledFeatureSet, row: ComputedRow, index: number): number | string | null {
  if (set.features[index]!.widening) return row.widened[index]?.recorded ?? null;
  const v = row.values[index]!;
  return v === null ? null : recordOf(v);
}

/** The vector of one row: feature name → recorded value (null = missing). */
export function vectorOf(set: CompiledFeatureSet, row: ComputedRow): Record<string, number | string | null> {
  const out: Record<string, number | string | null> = {};
  for (const f of set.features) out[f.name] = recordedOf(set, row, f.index);
  return out;
}

/** Writes one row of an FP32 tensor at `base` (defaults where missing). */
export function writeFp32Row(set: CompiledFeatureSet, tensor: CompiledTensor, row: ComputedRow, out: Float32Array, base: number): void {
  const layout = tensor.features;
  for (let k = 0; k < layout.length; k++) {
    const { index, offset } = layout[k]!;
    const f = set.features[index]!;
    const at = base + offset;
    if (f.widening) {
      const w = row.widened[index];
      if (w === null || w === undefined) out.set(f.defaultColumns, at);
      else {
        const cols = w.columns;
        out.fill(0, at, at + f.width);
        for (let c = 0; c < cols.indices.length; c++) out[at + cols.indices[c]!] = cols.values[c]!;
      }
      continue;
    }
    const v = row.values[index];
    if (typeof v === 'number') out[at] = v;
    else out.set(f.defaultColumns, at);
  }
}

/** Writes one row of a BYTES tensor at `base` (defaults where missing). */
export function writeBytesRow(set: CompiledFeatureSet, tensor: CompiledTensor, row: ComputedRow, out: string[], base: number): void {
  const layout = tensor.features;
  for (let k = 0; k < layout.length; k++) {
    const { index, offset } = layout[k]!;
    const f = set.features[index]!;
    const v = row.values[index];
    out[base + offset] = typeof v === 'string' && !f.widening ? v : f.defaultString;
  }
}
