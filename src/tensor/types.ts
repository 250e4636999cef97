/**
 * Tensors as Skein's core sees them. Every transport decodes into these and every runtime
 * consumes them. Data is flat and row-major.
 *
 * Storage by datatype (DATA_ARRAY below):
 *   BOOL → Uint8Array (0 or 1), UINT8 → Uint8Array, INT8 → Int8Array, UINT16 → Uint16Array,
 *   INT16 → Int16Array, FP16 and BF16 → Uint16Array (raw bits), UINT32 → Uint32Array,
 *   INT32 → Int32Array, FP32 → Float32Array, UINT64 → BigUint64Array, INT64 → BigInt64Array,
 *   FP64 → Float64Array, BYTES → string[] (each element a UTF-8 string).
 */
export const DATATYPES = [
  'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64',
  'INT8', 'INT16', 'INT32', 'INT64',
  'FP16', 'BF16', 'FP32', 'FP64', 'BYTES',
] as const;

export type DataType = (typeof DATATYPES)[number];

export type TensorData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array
  | string[];

export interface Tensor {
  name: string;
  datatype: DataType;
  /** Concrete dimensions, each a non-negative integer. */
  shape: number[];
  data: TensorData;
}

/** A declared input or output: shape dimensions of -1 vary. */
export interface TensorSpec {
  name: string;
  datatype: DataType;
  shape: number[];
}

export interface Signature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

/** Bytes per element; 0 for BYTES (variable). */
export const ELEMENT_BYTES: Record<DataType, number> = {
  BOOL: 1, UINT8: 1, INT8: 1,
  UINT16: 2, INT16: 2, FP16: 2, BF16: 2,
  UINT32: 4, INT32: 4, FP32: 4,
  UINT64: 8, INT64: 8, FP64: 8,
  BYTES: 0,
};

export function isDataType(x: unknown): x is DataType {
  return typeof x === 'string' && (DATATYPES as readonly string[]).includes(x);
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
