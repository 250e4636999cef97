import type { Tensor, TensorData } from './types.js';
import { elementCount } from './types.js';
import { formatShape } from './header.js';

type NumericData = Exclude<TensorData, string[]>;
type NumericArrayConstructor = new (length: number) => NumericData;

/**
 * Stacks several requests' inputs along dimension 0 for one model run. items[i] is request i's
 * inputs in signature order (validateInputs' output), and all share one batchKeyOf; anything else
 * is a bug in the caller, so it throws a plain Error. A single request is passed through uncopied.
 */
export function concatBatch(items: Tensor[][]): Tensor[] {
  const head = items[0];
  if (head === undefined) throw new Error('concatBatch needs at least one request');
  if (items.length === 1) return head;
  return head.map((first, k) => {
    const parts = items.map((inputs, i) => {
      const t = inputs[k];
      if (inputs.length !== head.length || t === undefined) throw new Error(`request ${i} has ${inputs.length} inputs, expected ${head.length}`);
      assertStackable(first, t);
      return t;
    });
    const rows = parts.reduce((sum, t) => sum + t.shape[0]!, 0);
    const shape = [rows, ...first.shape.slice(1)];
    return { name: first.name, datatype: first.datatype, shape, data: concatData(parts.map((t) => t.data)) };
  });
}

function assertStackable(first: Tensor, t: Tensor): void {
  const same =
    t.name === first.name &&
    t.datatype === first.datatype &&
    t.shape.length === first.shape.length &&
    t.shape.length > 0 &&
    t.shape.every((d, i) => i === 0 || d === first.shape[i]) &&
    t.data.length === elementCount(t.shape);
  if (!same) {
    throw new Error(`cannot stack ${t.datatype} ${formatShape(t.shape)} '${t.name}' onto ${first.datatype} ${formatShape(first.shape)} '${first.name}'`);
  }
}

function concatData(parts: TensorData[]): TensorData {
  const first = parts[0]!;
  if (Array.isArray(first)) return (parts as string[][]).flat();
  const total = parts.reduce((sum, p) => sum + p.length, 0);
  const out = new (first.constructor as NumericArrayConstructor)(total);
  let at = 0;
  for (const p of parts as NumericData[]) {
    // set() is typed per array kind; every part has the constructor of the first (same datatype).
    (out as Uint8Array).set(p as Uint8Array, at);
    at += p.length;
  }
  return out;
}

/**
 * The inverse of concatBatch for a run's outputs: request i gets the next rows[i] rows of every
 * output. Each part is a copy (slice), so a request owns its buffers and may transfer them;
 * a single request takes the outputs whole, as it is their only owner.
 */
export function splitBatch(outputs: Tensor[], rows: number[]): Tensor[][] {
  if (!rows.every((r) => Number.isSafeInteger(r) && r >= 0)) throw new Error('rows must be non-negative integers');
  const total = rows.reduce((sum, r) => sum + r, 0);
  for (const t of outputs) {
    if (t.shape.length === 0 || t.shape[0] !== total || t.data.length !== elementCount(t.shape)) {
      throw new Error(`output '${t.name}' with shape ${formatShape(t.shape)} cannot be split into ${total} rows`);
    }
  }
  if (rows.length === 1) return [outputs];
  const result: Tensor[][] = rows.map(() => []);
  for (const t of outputs) {
    const rowElements = elementCount(t.shape.slice(1));
    let start = 0;
    rows.forEach((r, i) => {
      const end = start + r * rowElements;
      result[i]!.push({ name: t.name, datatype: t.datatype, shape: [r, ...t.shape.slice(1)], data: t.data.slice(start, end) });
      start = end;
    });
  }
  return result;
}
