import { ServingError } from '../../errors/index.js';
import {
  ELEMENT_BYTES, decodeBinaryTensor, decodeJsonTensor, decodeTensorHeader, encodeBinaryTensor,
  encodeJsonTensor, formatShape, quoteName,
  type Signature, type Tensor, type TensorSpec,
} from '../../tensor/index.js';
import { parseJsonBody } from './json-body.js';
import type { InferRequest, InferResponse, ParameterValue, RequestedOutput } from '../../serving/index.js';

/**
 * The OIP v2 REST body (JSON, JSON + binary tensors, or a raw binary body) ↔ InferRequest and
 * InferResponse. No HTTP framework here: the route passes the body bytes and the
 * Inference-Header-Content-Length header, and sends what encodeInferResponse returns.
 */
export interface BodyLimits {
  maxJsonDepth: number;
  maxTensorElements: number;
  maxInputs: number;
}

export type DecodedInfer = Omit<InferRequest, 'model' | 'version'>;

type Parameters = Record<string, ParameterValue>;

/**
 * Decodes an infer request body. `headerLength` is the raw Inference-Header-Content-Length value
 * (undefined when absent: the whole body is JSON). Its value 0 marks a raw request, the body
 * being the bytes of the model's single input; only then is `resolveSignature` called.
 */
export function decodeInferRequest(
  body: Uint8Array,
  headerLength: string | undefined,
  limits: BodyLimits,
  resolveSignature: () => Signature,
): DecodedInfer {
  const jsonLength = parseHeaderLength(headerLength, body.byteLength);
  if (headerLength !== undefined && jsonLength === 0) return decodeRawRequest(body, limits, resolveSignature());
  const doc = parseJsonObject(body.subarray(0, jsonLength), limits.maxJsonDepth);
  const binary = body.subarray(jsonLength);
  const rawInputs = doc.inputs;
  if (!Array.isArray(rawInputs)) throw new ServingError('INVALID_REQUEST', 'the request needs an `inputs` list');
  if (rawInputs.length > limits.maxInputs) {
    throw new ServingError('INVALID_REQUEST', `the request has ${rawInputs.length} inputs; at most ${limits.maxInputs} are allowed`);
  }
  if (doc.id !== undefined && typeof doc.id !== 'string') throw new ServingError('INVALID_REQUEST', '`id` must be a string');
  const parameters = parseParameters(doc.parameters, 'the request');
  const outputs = parseRequestedOutputs(doc.outputs);
  const inputs = decodeInputs(rawInputs, binary, limits);
  const request: DecodedInfer = { inputs };
  if (doc.id !== undefined) request.id = doc.id;
  if (parameters !== undefined) request.parameters = parameters;
  if (outputs !== undefined) request.outputs = outputs;
  return request;
}

function parseHeaderLength(value: string | undefined, bodyLength: number): number {
  if (value === undefined) return bodyLength;
  const n = /^[0-9]{1,15}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n <= bodyLength)) {
    throw new ServingError(
      'INVALID_BINARY_HEADER',
      `Inference-Header-Content-Length must be a non-negative integer no larger than the body (${bodyLength} bytes)`,
    );
  }
  return n;
}

function parseJsonObject(json: Uint8Array, maxDepth: number): Record<string, unknown> {
  const doc = parseJsonBody(json, maxDepth);
  if (!isObject(doc)) throw new ServingError('INVALID_REQUEST', 'the request must be a JSON object with an `inputs` list');
  return doc;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function parseParameters(raw: unknown, owner: string): Parameters | undefined {
  if (raw === undefined) return undefined;
  const ok = isObject(raw) && Object.values(raw).every((v) => ['string', 'number', 'boolean'].includes(typeof v));
  if (!ok) throw new ServingError('INVALID_REQUEST', `\`parameters\` of ${owner} must be an object of string, number or boolean values`);
  return raw as Parameters;
}

function parseRequestedOutputs(raw: unknown): RequestedOutput[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) throw new ServingError('INVALID_REQUEST', '`outputs` must be a list of {name, parameters?}');
  return raw.map((o, i) => {
    if (!isObject(o) || typeof o.name !== 'string' || o.name.length === 0) {
      throw new ServingError('INVALID_REQUEST', `outputs[${i}] must be an object with a non-empty string \`name\``);
    }
    const parameters = parseParameters(o.parameters, `output ${quoteName(o.name)}`);
    return parameters === undefined ? { name: o.name } : { name: o.name, parameters };
  });
}

/**
 * Inputs with parameters.binary_data_size take the next that many bytes of the binary part, in
 * the order they appear; the sizes must account for the binary part exactly. Sizes are checked
 * before any tensor is decoded, so a bad body costs one pass over the headers.
 */
function decodeInputs(rawInputs: unknown[], binary: Uint8Array, limits: BodyLimits): Tensor[] {
  const sizes = rawInputs.map((raw, i) => binarySizeOf(raw, i));
  const total = sizes.reduce<number>((sum, s) => sum + (s ?? 0), 0);
  if (total !== binary.byteLength) {
    throw new ServingError(
      'BINARY_SIZE_MISMATCH',
      `binary_data_size values add up to ${total} bytes, but ${binary.byteLength} bytes follow the JSON header`,
    );
  }
  let at = 0;
  return rawInputs.map((raw, i) => {
    const size = sizes[i];
    if (size === undefined) return decodeJsonTensor(raw, limits);
    const bytes = binary.subarray(at, at + size);
    at += size;
    return decodeBinaryTensor(raw as Record<string, unknown>, bytes, limits);
  });
}

function binarySizeOf(raw: unknown, index: number): number | undefined {
  if (!isObject(raw)) {
    throw new ServingError('INVALID_REQUEST', 'each element of `inputs` must be an object {name, shape, datatype, data}');
  }
  const label = typeof raw.name === 'string' ? `input ${quoteName(raw.name)}` : `inputs[${index}]`;
  const size = parseParameters(raw.parameters, label)?.binary_data_size;
  if (size === undefined) return undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new ServingError('INVALID_REQUEST', `${label}: binary_data_size must be a non-negative integer`);
  }
  if (raw.data !== undefined) {
    throw new ServingError('INVALID_REQUEST', `${label} has both \`data\` and binary_data_size; send one`);
  }
  return size;
}

/**
 * A raw request (header length 0): the body is the single input's bytes. Its one variable
 * dimension, if any, is derived from the byte length. BYTES take the whole body as one element
 * without a length prefix (as Triton does), so every -1 becomes 1 and the shape must hold one
 * element. Raw requests are answered in binary, recorded as binary_data_output.
 */
function decodeRawRequest(body: Uint8Array, limits: BodyLimits, signature: Signature): DecodedInfer {
  const spec = signature.inputs[0];
  if (spec === undefined || signature.inputs.length !== 1) {
    throw new ServingError(
      'INVALID_REQUEST',
      `a raw binary request (Inference-Header-Content-Length: 0) needs a model with exactly one input; this one has ${signature.inputs.length}`,
    );
  }
  const parameters: Parameters = { binary_data_output: true };
  if (spec.datatype !== 'BYTES') {
    const shape = rawShape(spec, body.byteLength);
    return { inputs: [decodeBinaryTensor({ name: spec.name, datatype: spec.datatype, shape }, body, limits)], parameters };
  }
  const shape = spec.shape.map((d) => (d === -1 ? 1 : d));
  const header = decodeTensorHeader({ name: spec.name, datatype: spec.datatype, shape }, limits);
  if (header.count !== 1) {
    throw new ServingError('INVALID_REQUEST', `a raw binary request needs a BYTES input of one element; input ${quoteName(spec.name)} has shape ${formatShape(spec.shape)}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new ServingError('INVALID_DATA', `input ${quoteName(spec.name)}: the raw BYTES body is not valid UTF-8`);
  }
  return { inputs: [{ name: spec.name, datatype: 'BYTES', shape: header.shape, data: [text] }], parameters };
}

function rawShape(spec: TensorSpec, byteLength: number): number[] {
  const q = quoteName(spec.name);
  const variable = spec.shape.filter((d) => d === -1).length;
  if (variable > 1) {
    throw new ServingError('INVALID_REQUEST', `a raw binary request needs at most one variable dimension; input ${q} has shape ${formatShape(spec.shape)}`);
  }
  const elementBytes = ELEMENT_BYTES[spec.datatype];
  const fixed = spec.shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const count = byteLength / elementBytes;
  const derived = fixed === 0 ? 0 : count / fixed;
  if (!Number.isInteger(derived) || (variable === 0 && count !== fixed) || (fixed === 0 && count !== 0)) {
    throw new ServingError(
      'BINARY_SIZE_MISMATCH',
      `input ${q}: ${byteLength} bytes do not fill shape ${formatShape(spec.shape)} of ${spec.datatype} (${elementBytes} bytes each)`,
    );
  }
  return spec.shape.map((d) => (d === -1 ? derived : d));
}

/**
 * Encodes a response. An output goes binary when its requested `binary_data` says so, else when
 * the request's `binary_data_output` does (raw requests set it); FP16/BF16 always go binary, having
 * no JSON form. With any binary output the body is the JSON header followed by the outputs' bytes
 * in order, and headerLength is the JSON header's byte length.
 */
export function encodeInferResponse(
  request: DecodedInfer,
  response: InferResponse,
): { body: Uint8Array | string; contentType: string; headerLength?: number } {
  const chunks: Uint8Array[] = [];
  const outputs = response.outputs.map((t) => {
    if (!wantsBinary(request, t)) return encodeJsonTensor(t);
    const bytes = encodeBinaryTensor(t);
    chunks.push(bytes);
    return { name: t.name, datatype: t.datatype, shape: t.shape, parameters: { binary_data_size: bytes.byteLength } };
  });
  const doc: Record<string, unknown> = { model_name: response.model_name, model_version: response.model_version };
  const id = request.id ?? response.id;
  if (id !== undefined) doc.id = id;
  if (response.parameters !== undefined && Object.keys(response.parameters).length > 0) doc.parameters = response.parameters;
  doc.outputs = outputs;
  const json = JSON.stringify(doc);
  if (chunks.length === 0) return { body: json, contentType: 'application/json' };
  const header = Buffer.from(json, 'utf8');
  const body = Buffer.concat([header, ...chunks]);
  return {
    body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
    contentType: 'application/octet-stream',
    headerLength: header.byteLength,
  };
}

function wantsBinary(request: DecodedInfer, t: Tensor): boolean {
  if (t.datatype === 'FP16' || t.datatype === 'BF16') return true;
  // A per-output binary_data overrides binary_data_output (binary data extension, §1.5).
  const own = request.outputs?.find((o) => o.name === t.name)?.parameters?.binary_data;
  if (typeof own === 'boolean') return own;
  return request.parameters?.binary_data_output === true;
}
