import { allocateTensorData, type Tensor } from '../tensor/index.js';
import type { InputTensor } from './types.js';

/** Converts plain arrays to the storage Skein's codecs expect for the datatype. */
export function toTensor(t: InputTensor): Tensor {
  const d = t.data;
  if (!Array.isArray(d)) return { name: t.name, datatype: t.datatype, shape: [...t.shape], data: d as Tensor['data'] };
  if (t.datatype === 'BYTES') return { name: t.name, datatype: t.datatype, shape: [...t.shape], data: d.map(String) };
  const out = allocateTensorData(t.datatype, d.length);
  const arr = out as unknown as { [i: number]: number | bigint };
  const big = out instanceof BigInt64Array || out instanceof BigUint64Array;
  d.forEach((v, i) => {
    arr[i] = big ? BigInt(v as unknown as number | bigint) : typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
  });
  return { name: t.name, datatype: t.datatype, shape: [...t.shape], data: out };
}
