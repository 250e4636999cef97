import { ServingError } from '../errors/index.js';
import { isDataType, type DataType, type TensorData } from './types.js';

/** Bounds applied while decoding a tensor from the wire, before any data is touched. */
export interface TensorLimits {
  maxTensorElements: number;
}

/** A tensor's name, datatype and shape, checked; data not yet decoded. */
export interface TensorHeader {
  name: string;
  datatype: DataType;
  shape: number[];
  /** product(shape), already checked against TensorLimits.maxTensorElements. */
  count: number;
}

const MAX_NAME_CHARS = 64;

/** A caller-supplied name as it may appear in an error message. */
export function quoteName(name: string): string {
  return name.length > MAX_NAME_CHARS ? `'${name.slice(0, MAX_NAME_CHARS)}…'` : `'${name}'`;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * Checks name, datatype, shape and the element limit of a tensor as it arrives from a transport.
 * The element count is bounded before a caller allocates or walks any data, so a tiny header
 * claiming a huge shape costs nothing.
 */
export function decodeTensorHeader(
  raw: { name?: unknown; datatype?: unknown; shape?: unknown },
  limits: TensorLimits,
): TensorHeader {
  const name = raw.name;
  if (typeof name !== 'string' || name.length === 0) {
    throw new ServingError('INVALID_REQUEST', 'each tensor needs a non-empty string `name`');
  }
  const q = quoteName(name);
  if (!isDataType(raw.datatype)) {
    throw new ServingError(
      'INVALID_DATATYPE',
      `input ${q}: \`datatype\` must be one of BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, BF16, FP32, FP64, BYTES`,
    );
  }
  const shape = raw.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw new ServingError('INVALID_SHAPE', `input ${q}: \`shape\` must be a list of non-negative integers`);
  }
  const dims = shape as number[];
  // Multiply with an early exit so a product past the limit (or past 2^53) is never formed.
  let count = dims.includes(0) ? 0 : 1;
  for (let i = 0; i < dims.length && count > 0; i++) {
    count *= dims[i]!;
    if (count > limits.maxTensorElements) break;
  }
  if (count > limits.maxTensorElements) {
    throw new ServingError(
      'TOO_MANY_ELEMENTS',
      `input ${q}: shape ${formatShape(dims)} has more than maxTensorElements (${limits.maxTensorElements}) elements`,
    );
  }
  return { name, datatype: raw.datatype, shape: [...dims], count };
}

/** A zeroed array of `count` elements in the storage types.ts assigns to `datatype`. */
export function allocateTensorData(datatype: DataType, count: number): TensorData {
  switch (datatype) {
    case 'BOOL':
    case 'UINT8':
      return new Uint8Array(count);
    case 'INT8':
      return new Int8Array(count);
    case 'UINT16':
    case 'FP16':
    case 'BF16':
      return new Uint16Array(count);
    case 'INT16':
      return new Int16Array(count);
    case 'UINT32':
      return new Uint32Array(count);
    case 'INT32':
      return new Int32Array(count);
    case 'FP32':
      return new Float32Array(count);
    case 'FP64':
      return new Float64Array(count);
    case 'UINT64':
      return new BigUint64Array(count);
    case 'INT64':
      return new BigInt64Array(count);
    case 'BYTES':
      return new Array<string>(count).fill('');
  }
}
