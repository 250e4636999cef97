import type { DataType, Tensor, TensorData } from '../../tensor/index.js';
import { quoteName } from './errors.js';
import type { InputPlan } from './mapping.js';

/**
 * Row values → batch tensors. Rows are written straight into per-input typed arrays sized for a
 * whole batch; a row that does not fit is left half-written in its slot and the slot is reused,
 * so a reject costs nothing to undo. Reasons name columns and inputs, never values.
 */

const INT_RANGE: Partial<Record<DataType, [number, number]>> = {
  INT8: [-128, 127], UINT8: [0, 255], INT16: [-32768, 32767], UINT16: [0, 65535],
  INT32: [-2147483648, 2147483647], UINT32: [0, 4294967295],
};

export const SUPPORTED_DATATYPES: ReadonlySet<DataType> = new Set<DataType>([
  'BOOL', 'INT8', 'UINT8', 'INT16', 'UINT16', 'INT32', 'UINT32', 'INT64', 'UINT64', 'FP32', 'FP64', 'BYTES',
]);

export function allocate(datatype: DataType, length: number): TensorData {
  switch (datatype) {
    case 'BOOL': case 'UINT8': return new Uint8Array(length);
    case 'INT8': return new Int8Array(length);
    case 'INT16': return new Int16Array(length);
    case 'UINT16': return new Uint16Array(length);
    case 'INT32': return new Int32Array(length);
    case 'UINT32': return new Uint32Array(length);
    case 'INT64': return new BigInt64Array(length);
    case 'UINT64': return new BigUint64Array(length);
    case 'FP32': return new Float32Array(length);
    case 'FP64': return new Float64Array(length);
    case 'BYTES': return new Array<string>(length).fill('');
    default: throw new Error(`datatype ${datatype} is not supported by skein batch`);
  }
}

export function allocateBatch(plans: readonly InputPlan[], capacity: number): TensorData[] {
  return plans.map((p) => allocate(p.datatype, capacity * p.width));
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return v.trim() === '' ? NaN : Number(v);
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return NaN;
}

/** Writes one element; returns what is wrong with it, or undefined. */
function put(datatype: DataType, data: TensorData, at: number, v: unknown): string | undefined {
  if (datatype === 'BYTES') {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'bigint') return 'is not a string';
    (data as string[])[at] = String(v);
    return undefined;
  }
  if (datatype === 'BOOL') {
    const b = v === true || v === 'true' || v === 1 || v === '1' ? 1 : v === false || v === 'false' || v === 0 || v === '0' ? 0 : -1;
    if (b < 0) return 'is not a boolean';
    (data as Uint8Array)[at] = b;
    return undefined;
  }
  if (datatype === 'INT64' || datatype === 'UINT64') {
    let big: bigint;
    try {
      big = typeof v === 'bigint' ? v : typeof v === 'string' && /^\s*-?[0-9]+\s*$/.test(v) ? BigInt(v.trim()) : BigInt(toNumber(v));
    } catch {
      return 'is not an integer';
    }
    const ok = datatype === 'INT64' ? BigInt.asIntN(64, big) === big : BigInt.asUintN(64, big) === big;
    if (!ok) return `does not fit ${datatype}`;
    (data as BigInt64Array | BigUint64Array)[at] = big;
    return undefined;
  }
  const n = toNumber(v);
  if (!Number.isFinite(n)) return 'is not a finite number';
  const range = INT_RANGE[datatype];
  if (range) {
    if (!Number.isInteger(n)) return 'is not an integer';
    if (n < range[0] || n > range[1]) return `does not fit ${datatype}`;
  }
  (data as Float32Array)[at] = n;
  return undefined;
}

function flatten(v: unknown, out: unknown[]): void {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else out.push(v);
}

/** The row's values for a one-column input: a scalar, an array, or JSON text of an array. */
function cellValues(cell: unknown): unknown[] | undefined {
  let v = cell;
  if (typeof v === 'string' && v.trimStart().startsWith('[')) {
    try {
      v = JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  const out: unknown[] = [];
  flatten(v, out);
  return out;
}

/** Encodes `row` into slot `slot` of `batch`; returns a reason when the row does not fit. */
export function encodeRow(plans: readonly InputPlan[], row: readonly unknown[], batch: TensorData[], slot: number): string | undefined {
  for (let i = 0; i < plans.length; i++) {
    const p = plans[i]!;
    const data = batch[i]!;
    const base = slot * p.width;
    if (p.columns.length === p.width && !(p.width === 1 && Array.isArray(row[p.columns[0]!]))) {
      for (let j = 0; j < p.width; j++) {
        const cell = row[p.columns[j]!];
        if (cell === undefined || cell === null || cell === '') return `column ${quoteName(p.columnNames[j]!)} is empty`;
        const why = put(p.datatype, data, base + j, cell);
        if (why) return `column ${quoteName(p.columnNames[j]!)} ${why} (input ${quoteName(p.name)}, ${p.datatype})`;
      }
      continue;
    }
    const column = quoteName(p.columnNames[0]!);
    const cell = row[p.columns[0]!];
    if (cell === undefined || cell === null || cell === '') return `column ${column} is empty`;
    const values = cellValues(cell);
    if (!values) return `column ${column} is not a JSON array`;
    if (values.length !== p.width) return `column ${column} holds ${values.length} values; input ${quoteName(p.name)} takes ${p.width} per row`;
    for (let j = 0; j < p.width; j++) {
      const why = put(p.datatype, data, base + j, values[j]);
      if (why) return `column ${column} element ${j} ${why} (input ${quoteName(p.name)}, ${p.datatype})`;
    }
  }
  return undefined;
}

/**
 * The first `rows` rows of `batch` as tensors. A full batch hands over its arrays (they may be
 * transferred to a worker); a partial one is copied, so the worker gets exactly `rows` rows.
 */
export function toTensors(plans: readonly InputPlan[], batch: TensorData[], rows: number, capacity: number): Tensor[] {
  return plans.map((p, i) => {
    const data = batch[i]!;
    const n = rows * p.width;
    const sliced = rows === capacity ? data : (data.slice(0, n) as TensorData);
    return { name: p.name, datatype: p.datatype, shape: [rows, ...p.rowShape], data: sliced };
  });
}
