import type { Value } from './chain.js';
import type { CompiledFeatureSet, CompiledTensor, RawRow, SparseColumns } from './compile.js';

/**
 * The one implementation of "raw row + entity values → feature values and tensor columns",
 * shared by the assembler (serving) and the exporter (training rows). Nothing here does I/O.
 */

/** One feature's outcome in one row. */
export interface Cell {
  /** What the vectors record: the value (tokens joined by a space), or null when missing. */
  recorded: number | string | null;
  /** FP32 columns of a present value: one number, or the set columns of a widened one. */
  columns: number | SparseColumns | null;
  /** The string a BYTES tensor takes (present string features only). */
  text: string | null;
}

export interface ComputedRow {
  cells: Cell[];
  /** Features that were missing and took their default. */
  missing: number;
}

function recordOf(v: Value): number | string {
  if (typeof v === 'number' || typeof v === 'string') return v;
  return Array.isArray(v) ? v.join(' ') : JSON.stringify(v);
}

/** Evaluates every feature of the set, in declaration order, for one row. */
export function computeRow(set: CompiledFeatureSet, raw: RawRow, entities: readonly (Readonly<Record<string, unknown>> | undefined)[]): ComputedRow {
  const values: (Value | null)[] = new Array<Value | null>(set.features.length).fill(null);
  const refs = (i: number): Value | null => values[i] ?? null;
  const cells: Cell[] = [];
  let missing = 0;
  const input = { raw, entities };
  // Shared intermediate values of this row (see CompiledFeature.slots): undefined = not computed yet.
  const cache: (Value | null | undefined)[] = new Array<Value | null | undefined>(set.slotCount);
  for (const f of set.features) {
    let v = cache[f.slots[0]!];
    if (v === undefined) cache[f.slots[0]!] = v = f.source(input);
    for (let s = 0; v !== null && s < f.steps.length; s++) {
      const slot = f.slots[s + 1]!;
      const known = cache[slot];
      if (known !== undefined) v = known;
      else cache[slot] = v = f.steps[s]!(v, refs);
    }
    values[f.index] = v;
    let cell: Cell;
    if (v === null) cell = { recorded: null, columns: null, text: null };
    else if (f.widening) {
      const w = f.widening.apply(v, refs);
      cell = w === null ? { recorded: null, columns: null, text: null } : { recorded: w.recorded, columns: w.columns, text: null };
    } else {
      cell = { recorded: recordOf(v), columns: typeof v === 'number' ? v : null, text: typeof v === 'string' ? v : null };
    }
    if (cell.recorded === null) missing++;
    cells.push(cell);
  }
  return { cells, missing };
}

/** The vector of one row: feature name → recorded value (null = missing). */
export function vectorOf(set: CompiledFeatureSet, cells: readonly Cell[]): Record<string, number | string | null> {
  const out: Record<string, number | string | null> = {};
  for (const f of set.features) out[f.name] = cells[f.index]!.recorded;
  return out;
}

/** Writes one row of an FP32 tensor at `base` (defaults where missing). */
export function writeFp32Row(set: CompiledFeatureSet, tensor: CompiledTensor, cells: readonly Cell[], out: Float32Array, base: number): void {
  for (const { index, offset } of tensor.features) {
    const f = set.features[index]!;
    const cell = cells[index]!;
    const at = base + offset;
    const cols = cell.columns;
    if (cols === null) out.set(f.defaultColumns, at);
    else if (typeof cols === 'number') out[at] = cols;
    else {
      out.fill(0, at, at + f.width);
      for (let k = 0; k < cols.indices.length; k++) out[at + cols.indices[k]!] = cols.values[k]!;
    }
  }
}

/** Writes one row of a BYTES tensor at `base` (defaults where missing). */
export function writeBytesRow(set: CompiledFeatureSet, tensor: CompiledTensor, cells: readonly Cell[], out: string[], base: number): void {
  for (const { index, offset } of tensor.features) {
    out[base + offset] = cells[index]!.text ?? set.features[index]!.defaultString;
  }
}
