import type { InitializerData } from './datatypes.js';
import type { AttributeValue, TaggedAttribute, TensorValue } from './types.js';
import type { DataType } from '../tensor/index.js';

/** Tagged attribute values for the cases plain JavaScript values cannot tell apart. */
export function floatAttr(value: number): TaggedAttribute {
  return { kind: 'float', value };
}

export function floatsAttr(value: readonly number[]): TaggedAttribute {
  return { kind: 'floats', value };
}

export function intAttr(value: number | bigint): TaggedAttribute {
  return { kind: 'int', value };
}

export function intsAttr(value: readonly (number | bigint)[]): TaggedAttribute {
  return { kind: 'ints', value };
}

export function tensorAttr(datatype: DataType, dims: readonly number[], data: InitializerData): TaggedAttribute {
  const value: TensorValue = { datatype, dims, data };
  return { kind: 'tensor', value };
}

export type ResolvedAttribute =
  | { kind: 'float'; value: number }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'int'; value: number | bigint }
  | { kind: 'ints'; value: readonly (number | bigint)[] }
  | { kind: 'string'; value: string }
  | { kind: 'strings'; value: readonly string[] }
  | { kind: 'tensor'; value: TensorValue };

/** Resolves a plain or tagged value to one attribute kind (rules in AttributeValue's comment). */
export function resolveAttribute(name: string, value: AttributeValue): ResolvedAttribute {
  if (typeof value === 'bigint') return { kind: 'int', value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`attribute ${name} must be finite`);
    return Number.isInteger(value) ? { kind: 'int', value } : { kind: 'float', value };
  }
  if (typeof value === 'string') return { kind: 'string', value };
  if (Array.isArray(value)) return resolveList(name, value as readonly unknown[]);
  return value as TaggedAttribute;
}

function resolveList(name: string, value: readonly unknown[]): ResolvedAttribute {
  if (value.length === 0) {
    throw new Error(`attribute ${name} is an empty list; use intsAttr([]) or floatsAttr([]) to say which`);
  }
  if (value.every((v) => typeof v === 'string')) return { kind: 'strings', value: value as string[] };
  if (value.every((v) => typeof v === 'number')) {
    const numbers = value as number[];
    return numbers.every(Number.isInteger) ? { kind: 'ints', value: numbers } : { kind: 'floats', value: numbers };
  }
  throw new Error(`attribute ${name} mixes strings and numbers`);
}
