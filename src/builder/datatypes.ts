import type { DataType } from '../tensor/index.js';

/**
 * OIP datatype names → ONNX TensorProto.DataType numbers. BYTES is ONNX STRING: each element is
 * a UTF-8 string.
 */
export const ONNX_DATA_TYPE: Record<DataType, number> = {
  FP32: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  BYTES: 8,
  BOOL: 9,
  FP16: 10,
  FP64: 11,
  UINT32: 12,
  UINT64: 13,
  BF16: 16,
};

/**
 * Little-endian bytes of `data` for ONNX `raw_data`, checked against the datatype. FP16 and BF16
 * take raw bits in a Uint16Array; BOOL takes 0/1 in a Uint8Array or booleans in an array.
 */
export function rawBytesOf(datatype: DataType, data: InitializerData, count: number): Uint8Array {
  if (datatype === 'BYTES') throw new Error('BYTES tensors are stored as strings, not raw bytes');
  const typed = toTypedArray(datatype, data);
  if (typed.length !== count) {
    throw new Error(`tensor data has ${typed.length} elements but its dims hold ${count}`);
  }
  // Every platform Node 20 runs on is little-endian, which is what ONNX raw_data requires.
  return new Uint8Array(typed.buffer.slice(typed.byteOffset, typed.byteOffset + typed.byteLength));
}

export type InitializerData =
  | ArrayLike<number>
  | ArrayLike<bigint>
  | ArrayLike<boolean>
  | readonly string[];

type NumericArray =
  | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

function toTypedArray(datatype: Exclude<DataType, 'BYTES'>, data: InitializerData): NumericArray {
  const values = Array.from(data as ArrayLike<unknown>);
  switch (datatype) {
    case 'BOOL': return Uint8Array.from(values, (v) => (v ? 1 : 0));
    case 'UINT8': return Uint8Array.from(values.map(Number));
    case 'INT8': return Int8Array.from(values.map(Number));
    case 'UINT16': case 'FP16': case 'BF16': return Uint16Array.from(values.map(Number));
    case 'INT16': return Int16Array.from(values.map(Number));
    case 'UINT32': return Uint32Array.from(values.map(Number));
    case 'INT32': return Int32Array.from(values.map(Number));
    case 'FP32': return Float32Array.from(values.map(Number));
    case 'FP64': return Float64Array.from(values.map(Number));
    case 'INT64': return BigInt64Array.from(values.map(toBigInt));
    case 'UINT64': return BigUint64Array.from(values.map(toBigInt));
  }
}

function toBigInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  throw new Error('64-bit integer tensor data must hold integers or bigints');
}
