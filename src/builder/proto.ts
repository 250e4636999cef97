import onnxProto from 'onnx-proto';
import type { DataType } from '../tensor/index.js';
import { ONNX_DATA_TYPE, rawBytesOf } from './datatypes.js';
import type { ResolvedAttribute } from './attributes.js';
import type { Dim, TensorValue } from './types.js';

/**
 * Conversions from the builder's plain values to onnx-proto messages. onnx-proto is a CommonJS
 * protobufjs module, so it is reached through its default export.
 */
export const { onnx } = onnxProto;
type Onnx = typeof onnxProto.onnx;
type AttributeProto = ConstructorParameters<Onnx['AttributeProto']>[0];
type TensorProto = ConstructorParameters<Onnx['TensorProto']>[0];
type ValueInfoProto = ConstructorParameters<Onnx['ValueInfoProto']>[0];

const AttributeType = onnx.AttributeProto.AttributeType;
const utf8 = new TextEncoder();

/**
 * protobufjs takes 64-bit integers as numbers or {low, high} pairs; bigints beyond 2^53 (Slice's
 * INT64_MAX ends, for one) need the pair form.
 */
type Int64 = number | { low: number; high: number; unsigned: boolean };

export function int64Of(value: number | bigint): Int64 {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error('64-bit integers beyond 2^53 must be given as bigints');
    return value;
  }
  const bits = BigInt.asUintN(64, value);
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0, unsigned: false };
}

export function tensorProtoOf(name: string, tensor: TensorValue): NonNullable<TensorProto> {
  const count = tensor.dims.reduce((n, d) => n * d, 1);
  const proto: NonNullable<TensorProto> = {
    name,
    dataType: ONNX_DATA_TYPE[tensor.datatype],
    dims: tensor.dims.map((d) => d),
  };
  if (tensor.datatype === 'BYTES') {
    const strings = Array.from(tensor.data as ArrayLike<unknown>, String);
    if (strings.length !== count) {
      throw new Error(`tensor ${name} has ${strings.length} strings but its dims hold ${count}`);
    }
    proto.stringData = strings.map((s) => utf8.encode(s));
  } else {
    proto.rawData = rawBytesOf(tensor.datatype, tensor.data, count);
  }
  return proto;
}

export function valueInfoOf(name: string, datatype: DataType, dims: readonly Dim[] | undefined): NonNullable<ValueInfoProto> {
  const tensorType: { elemType: number; shape?: { dim: object[] } } = { elemType: ONNX_DATA_TYPE[datatype] };
  if (dims !== undefined) {
    tensorType.shape = { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  }
  return { name, type: { tensorType } };
}

export function attributeProtoOf(name: string, attr: ResolvedAttribute): NonNullable<AttributeProto> {
  switch (attr.kind) {
    case 'float': return { name, type: AttributeType.FLOAT, f: attr.value };
    case 'floats': return { name, type: AttributeType.FLOATS, floats: [...attr.value] };
    case 'int': return { name, type: AttributeType.INT, i: int64Of(attr.value) as number };
    case 'ints': return { name, type: AttributeType.INTS, ints: attr.value.map((v) => int64Of(v) as number) };
    case 'string': return { name, type: AttributeType.STRING, s: utf8.encode(attr.value) };
    case 'strings': return { name, type: AttributeType.STRINGS, strings: attr.value.map((s) => utf8.encode(s)) };
    case 'tensor': return { name, type: AttributeType.TENSOR, t: tensorProtoOf(name, attr.value) };
  }
}
