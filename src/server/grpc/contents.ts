import { ServingError } from '../../errors/index.js';
import {
  allocateTensorData, CONTENTS_FIELD_OF, decodeTensorHeader, formatShape, quoteName,
  type DataType, type Tensor, type TensorData, type TensorLimits,
} from '../../tensor/index.js';
import type { WireContents } from './wire.js';

const FIELD_OF = CONTENTS_FIELD_OF;

const FIELDS: readonly (keyof WireContents)[] = [
  'bool_contents', 'int_contents', 'int64_contents', 'uint_contents',
  'uint64_contents', 'fp32_contents', 'fp64_contents', 'bytes_contents',
];

/** Ranges of the datatypes narrower than the int32/uint32 field that carries them. */
const NARROW_RANGE: Partial<Record<DataType, readonly [number, number]>> = {
  INT8: [-128, 127], INT16: [-32_768, 32_767], UINT8: [0, 255], UINT16: [0, 65_535],
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** True when any typed field holds a value; an empty contents message carries no data. */
export function hasContents(contents: WireContents | undefined): boolean {
  return contents !== undefined && FIELDS.some((f) => (contents[f]?.length ?? 0) > 0);
}

/**
 * Decodes an input sent as typed `contents`. The header is checked (and the element count
 * bounded) before any value is converted; exactly the datatype's field may hold values, and it
 * must hold product(shape) of them.
 */
export function decodeTypedTensor(
  spec: { name?: unknown; datatype?: unknown; shape: number[] },
  contents: WireContents | undefined,
  limits: TensorLimits,
): Tensor {
  const h = decodeTensorHeader(spec, limits);
  const q = quoteName(h.name);
  const field = FIELD_OF[h.datatype];
  if (field === undefined) {
    throw new ServingError('INVALID_DATATYPE', `input ${q}: ${h.datatype} has no typed contents field; send it in raw_input_contents`);
  }
  const stray = FIELDS.find((f) => f !== field && (contents?.[f]?.length ?? 0) > 0);
  if (stray !== undefined) {
    throw new ServingError('INVALID_DATA', `input ${q}: ${h.datatype} values go in contents.${field}, not contents.${stray}`);
  }
  const values: readonly unknown[] = contents?.[field] ?? [];
  if (values.length !== h.count) {
    throw new ServingError(
      'DATA_LENGTH_MISMATCH',
      `input ${q}: shape ${formatShape(h.shape)} needs ${h.count} values in contents.${field}, got ${values.length}`,
    );
  }
  return { name: h.name, datatype: h.datatype, shape: h.shape, data: convert(q, h.datatype, values, h.count) };
}

function convert(q: string, datatype: DataType, values: readonly unknown[], count: number): TensorData {
  if (datatype === 'BYTES') return (values as Buffer[]).map((b, i) => decodeUtf8(q, b, i));
  const data = allocateTensorData(datatype, count);
  if (datatype === 'INT64' || datatype === 'UINT64') {
    // 64-bit values arrive as decimal strings (longs: String), so every value is exact.
    const big = data as BigInt64Array | BigUint64Array;
    for (let i = 0; i < count; i++) big[i] = BigInt(values[i] as string);
    return data;
  }
  if (datatype === 'BOOL') {
    const bytes = data as Uint8Array;
    for (let i = 0; i < count; i++) bytes[i] = values[i] === true ? 1 : 0;
    return data;
  }
  const range = NARROW_RANGE[datatype];
  if (range !== undefined) {
    const i = (values as number[]).findIndex((v) => v < range[0] || v > range[1]);
    if (i >= 0) throw new ServingError('VALUE_OUT_OF_RANGE', `input ${q}: element ${i} does not fit ${datatype}`);
  }
  (data as Exclude<TensorData, string[] | BigInt64Array | BigUint64Array>).set(values as number[]);
  return data;
}

function decodeUtf8(q: string, bytes: Uint8Array, index: number): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ServingError('INVALID_DATA', `input ${q}: BYTES element ${index} is not valid UTF-8`);
  }
}
