import { ServingError } from '../errors/index.js';
import type { DataType, Tensor, TensorData } from './types.js';
import {
  allocateTensorData, decodeTensorHeader, formatShape, quoteName,
  type TensorHeader, type TensorLimits,
} from './header.js';

/** A tensor as it appears in an OIP JSON body: flat row-major `data`. */
export interface JsonTensor {
  name: string;
  datatype: DataType;
  shape: number[];
  data: (number | boolean | string)[];
}

/** Inclusive bounds of each integer datatype that JSON numbers can hold exactly. */
const INTEGER_RANGE: Partial<Record<DataType, readonly [number, number]>> = {
  UINT8: [0, 0xff],
  INT8: [-0x80, 0x7f],
  UINT16: [0, 0xffff],
  INT16: [-0x8000, 0x7fff],
  UINT32: [0, 0xffffffff],
  INT32: [-0x80000000, 0x7fffffff],
  // A JSON number past 2^53 has already lost its low bits; refuse rather than store a guess.
  UINT64: [0, Number.MAX_SAFE_INTEGER],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

type Write = (value: unknown, index: number) => void;

/**
 * Decodes one element of a JSON request's `inputs` list. Checks run cheapest first: the header
 * (and the element limit) before any data is walked.
 *
 * `data` may be flat or nested exactly like the shape. Anything in between is refused: an array
 * where a value belongs (nested deeper than the shape, or nested data mixed with values) or a
 * value where a list belongs (ragged) is INVALID_DATA; a nested list of the wrong length at some
 * depth is DATA_LENGTH_MISMATCH, as is a flat list of the wrong length.
 */
export function decodeJsonTensor(raw: unknown, limits: TensorLimits): Tensor {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ServingError('INVALID_REQUEST', 'each element of `inputs` must be an object {name, shape, datatype, data}');
  }
  const fields = raw as Record<string, unknown>;
  const header = decodeTensorHeader(fields, limits);
  const q = quoteName(header.name);
  if (header.datatype === 'FP16' || header.datatype === 'BF16') {
    throw new ServingError(
      'INVALID_DATATYPE',
      `input ${q}: ${header.datatype} has no JSON form; send it as binary (parameters.binary_data_size)`,
    );
  }
  const data = fields.data;
  if (data === undefined) {
    throw new ServingError('INVALID_REQUEST', `input ${q} has no \`data\`; send \`data\` or parameters.binary_data_size`);
  }
  // The REST server's JSON reader hands FP32 data over already converted (server/http/json-body.ts).
  if (data instanceof Float32Array && header.datatype === 'FP32') {
    checkFlatLength(header, data.length);
    return { name: header.name, datatype: header.datatype, shape: header.shape, data };
  }
  if (!Array.isArray(data)) {
    throw new ServingError('INVALID_DATA', `input ${q}: \`data\` must be a list, flat or nested like the shape`);
  }
  const out = allocateTensorData(header.datatype, header.count);
  const write = writerFor(header, out);
  const rank = header.shape.length;
  if (rank >= 2 && data.length > 0 && Array.isArray(data[0])) {
    fillNested(header, data, write);
  } else {
    fillFlat(header, data, write);
  }
  return { name: header.name, datatype: header.datatype, shape: header.shape, data: out };
}

function checkFlatLength(h: TensorHeader, length: number): void {
  if (length !== h.count) {
    throw new ServingError(
      'DATA_LENGTH_MISMATCH',
      `input ${quoteName(h.name)}: expects ${h.count} values for shape ${formatShape(h.shape)}, got ${length}`,
    );
  }
}

function fillFlat(h: TensorHeader, data: unknown[], write: Write): void {
  checkFlatLength(h, data.length);
  for (let i = 0; i < data.length; i++) write(data[i], i);
}

function fillNested(h: TensorHeader, data: unknown[], write: Write): void {
  const q = quoteName(h.name);
  const last = h.shape.length - 1;
  let index = 0;
  // Recursion depth is bounded by the shape's rank and, before that, by the JSON depth limit.
  const walk = (list: unknown[], depth: number): void => {
    if (list.length !== h.shape[depth]) {
      throw new ServingError(
        'DATA_LENGTH_MISMATCH',
        `input ${q}: nested \`data\` must hold ${h.shape[depth]} entries at depth ${depth + 1} for shape ${formatShape(h.shape)}, got ${list.length}`,
      );
    }
    for (const item of list) {
      if (depth === last) {
        if (Array.isArray(item)) {
          throw new ServingError('INVALID_DATA', `input ${q}: \`data\` is nested deeper than shape ${formatShape(h.shape)}`);
        }
        write(item, index++);
      } else if (Array.isArray(item)) {
        walk(item, depth + 1);
      } else {
        throw new ServingError(
          'INVALID_DATA',
          `input ${q}: nested \`data\` is ragged; nest it exactly like shape ${formatShape(h.shape)} or send it flat`,
        );
      }
    }
  };
  walk(data, 0);
}

function writerFor(h: TensorHeader, out: TensorData): Write {
  const q = quoteName(h.name);
  const invalid = (i: number, expected: string): ServingError =>
    new ServingError('INVALID_DATA', `input ${q}: element ${i} (flat, row-major) must be ${expected} for ${h.datatype}`);
  const dt = h.datatype;
  if (dt === 'BOOL') {
    const a = out as Uint8Array;
    return (v, i) => {
      if (typeof v !== 'boolean') throw invalid(i, 'true or false');
      a[i] = v ? 1 : 0;
    };
  }
  if (dt === 'BYTES') {
    const a = out as string[];
    return (v, i) => {
      if (typeof v !== 'string') throw invalid(i, 'a string');
      a[i] = v;
    };
  }
  if (dt === 'FP32' || dt === 'FP64') {
    const a = out as Float32Array | Float64Array;
    return (v, i) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(i, 'a finite number');
      if (dt === 'FP32' && !Number.isFinite(Math.fround(v))) {
        throw new ServingError('VALUE_OUT_OF_RANGE', `input ${q}: element ${i} (flat, row-major) does not fit FP32`);
      }
      a[i] = v;
    };
  }
  const range = INTEGER_RANGE[dt];
  if (range === undefined) throw new Error(`no JSON writer for ${dt}`);
  const [min, max] = range;
  const wide = dt === 'INT64' || dt === 'UINT64';
  const numbers = out as Exclude<TensorData, string[] | BigInt64Array | BigUint64Array>;
  const bigints = out as BigInt64Array | BigUint64Array;
  return (v, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw invalid(i, 'an integer');
    if (v < min || v > max) {
      throw new ServingError(
        'VALUE_OUT_OF_RANGE',
        `input ${q}: element ${i} (flat, row-major) is outside ${dt}'s range ${min}..${max}`,
      );
    }
    if (wide) bigints[i] = BigInt(v);
    else numbers[i] = v;
  };
}

/**
 * The JSON form of an output: flat row-major data; INT64/UINT64 as JSON numbers (exact up to
 * 2^53, as every JSON client reads them); BOOL as booleans. FP16/BF16 have no JSON form, so the
 * codec sends them as binary and never calls this for them.
 */
export function encodeJsonTensor(t: Tensor): JsonTensor {
  const base = { name: t.name, datatype: t.datatype, shape: [...t.shape] };
  switch (t.datatype) {
    case 'FP16':
    case 'BF16':
      throw new ServingError(
        'INVALID_DATATYPE',
        `output ${quoteName(t.name)} is ${t.datatype}, which has no JSON form; request it as binary (binary_data_output)`,
      );
    case 'BOOL':
      return { ...base, data: Array.from(t.data as Uint8Array, (v) => v !== 0) };
    case 'BYTES':
      return { ...base, data: [...(t.data as string[])] };
    case 'INT64':
    case 'UINT64':
      return { ...base, data: Array.from(t.data as BigInt64Array | BigUint64Array, (v) => Number(v)) };
    default:
      return { ...base, data: Array.from(t.data as Exclude<TensorData, string[] | BigInt64Array | BigUint64Array>) };
  }
}
