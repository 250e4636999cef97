import {
  allocateTensorData, decodeBinaryTensor, decodeTensorHeader, encodeBinaryTensor,
  CONTENTS_FIELD_OF, encodeInferParameters, type ContentsField, type DataType, type Tensor, type TensorData, type TensorLimits,
} from '../tensor/index.js';
import type { ModelMetadata, ParameterValue } from '../serving/types.js';
import { toTensor } from './tensors.js';
import type { InferOptions, InferResult } from './types.js';

/**
 * Messages as @grpc/proto-loader decodes them with the client's loader options (snake_case,
 * 64-bit integers as decimal strings, repeated fields always arrays, unset scalars absent).
 */
interface WireParameter {
  parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
  bool_param?: boolean;
  int64_param?: string;
  string_param?: string;
  double_param?: number;
  uint64_param?: string;
}

type WireContents = Partial<Record<ContentsField, unknown[]>>;

interface WireOutput {
  name?: string;
  datatype?: string;
  shape: string[];
  contents?: WireContents;
}

export interface WireInferReply {
  model_name?: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, WireParameter>;
  outputs: WireOutput[];
  raw_output_contents: Buffer[];
}

interface WireTensorMetadata {
  name?: string;
  datatype?: string;
  shape: string[];
}

export interface WireModelMetadata {
  name?: string;
  versions: string[];
  platform?: string;
  inputs: WireTensorMetadata[];
  outputs: WireTensorMetadata[];
}

const FIELD_OF = CONTENTS_FIELD_OF;

const utf8 = new TextDecoder('utf-8');

/**
 * InferOptions → ModelInferRequest. Every input travels in raw_input_contents: fixed-size data
 * is sent as a view of the caller's memory (no per-value encoding), BYTES with u32 length prefixes.
 */
export function encodeInferRequest(model: string, o: InferOptions): object {
  const tensors = o.inputs.map(toTensor);
  const request: Record<string, unknown> = {
    model_name: model,
    inputs: tensors.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape })),
    raw_input_contents: tensors.map(encodeBinaryTensor),
  };
  if (o.version !== undefined) request.model_version = o.version;
  if (o.id !== undefined) request.id = o.id;
  if (o.outputs) request.outputs = o.outputs.map((name) => ({ name }));
  if (o.parameters) request.parameters = encodeInferParameters(o.parameters);
  return request;
}


/**
 * ModelInferResponse → InferResult. Skein and Triton answer in raw_output_contents; KServe
 * servers answer typed contents, so a reply without raw entries is read from those.
 */
export function decodeInferReply(reply: WireInferReply, limits: TensorLimits): InferResult {
  const raw = reply.raw_output_contents;
  if (raw.length > 0 && raw.length !== reply.outputs.length) {
    throw new Error(`the reply has ${raw.length} raw_output_contents entries for ${reply.outputs.length} outputs`);
  }
  const outputs = reply.outputs.map((o, i) => {
    const spec = { name: o.name, datatype: o.datatype, shape: o.shape.map(Number) };
    return raw.length > 0 ? decodeBinaryTensor(spec, raw[i]!, limits) : decodeTypedOutput(spec, o.contents, limits);
  });
  const result: InferResult = { model_name: reply.model_name ?? '', model_version: reply.model_version ?? '', outputs };
  if (reply.id) result.id = reply.id;
  const parameters = decodeParameters(reply.parameters);
  if (parameters !== undefined) result.parameters = parameters;
  return result;
}

function decodeTypedOutput(spec: { name?: string; datatype?: string; shape: number[] }, contents: WireContents | undefined, limits: TensorLimits): Tensor {
  const h = decodeTensorHeader(spec, limits);
  const field = FIELD_OF[h.datatype];
  if (field === undefined) throw new Error(`output '${h.name}' is ${h.datatype}, which has no typed contents field and came without raw data`);
  const values = contents?.[field] ?? [];
  if (values.length !== h.count) {
    throw new Error(`output '${h.name}' has ${values.length} values in contents.${field} for ${h.count} elements`);
  }
  return { name: h.name, datatype: h.datatype, shape: h.shape, data: convertValues(h.datatype, values, h.count) };
}

function convertValues(datatype: DataType, values: readonly unknown[], count: number): TensorData {
  if (datatype === 'BYTES') return values.map((b) => utf8.decode(b as Uint8Array));
  const data = allocateTensorData(datatype, count);
  if (datatype === 'INT64' || datatype === 'UINT64') {
    // 64-bit values arrive as decimal strings, so each converts exactly.
    const big = data as BigInt64Array | BigUint64Array;
    for (let i = 0; i < count; i++) big[i] = BigInt(values[i] as string);
    return data;
  }
  const numbers = data as Exclude<TensorData, string[] | BigInt64Array | BigUint64Array>;
  for (let i = 0; i < count; i++) numbers[i] = datatype === 'BOOL' ? (values[i] === true ? 1 : 0) : (values[i] as number);
  return data;
}

function decodeParameters(wire: Record<string, WireParameter> | undefined): Record<string, ParameterValue> | undefined {
  const entries = Object.entries(wire ?? {});
  if (entries.length === 0) return undefined;
  const out: Record<string, ParameterValue> = {};
  for (const [key, p] of entries) {
    const choice = p.parameter_choice;
    if (choice === undefined) continue;
    const value = p[choice];
    out[key] = choice === 'int64_param' || choice === 'uint64_param' ? Number(value) : (value as ParameterValue);
  }
  return out;
}

export function decodeModelMetadata(m: WireModelMetadata): ModelMetadata {
  const specs = (ts: WireTensorMetadata[]) =>
    ts.map((t) => ({ name: t.name ?? '', datatype: (t.datatype ?? '') as DataType, shape: t.shape.map(Number) }));
  return { name: m.name ?? '', versions: m.versions, platform: m.platform ?? '', inputs: specs(m.inputs), outputs: specs(m.outputs) };
}
