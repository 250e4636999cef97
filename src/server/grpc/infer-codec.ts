import { ServingError } from '../../errors/index.js';
import { decodeBinaryTensor, encodeBinaryTensor, encodeInferParameters, quoteName, type Tensor } from '../../tensor/index.js';
import type { InferRequest, InferResponse, ParameterValue, RequestedOutput } from '../../serving/index.js';
import { decodeTypedTensor, hasContents } from './contents.js';
import type {
  WireInferRequest, WireInferResponse, WireInputTensor, WireParameters,
} from './wire.js';

/** Bounds applied while decoding ModelInfer, the same as REST's. */
export interface InferLimits {
  maxTensorElements: number;
  maxInputs: number;
}

type Parameters = Record<string, ParameterValue>;

/**
 * ModelInferRequest → InferRequest. Inputs come either all as `raw_input_contents` (one entry
 * per input, the REST binary layout) or all as typed `contents`; mixing the two is refused, as
 * the protocol requires. Parameters pass through; the service reads Triton's `timeout` (µs), as for REST.
 */
export function decodeModelInfer(message: WireInferRequest, limits: InferLimits): InferRequest {
  const { inputs: wireInputs, raw_input_contents: raw } = message;
  if (wireInputs.length > limits.maxInputs) {
    throw new ServingError('INVALID_REQUEST', `the request has ${wireInputs.length} inputs; at most ${limits.maxInputs} are allowed`);
  }
  const parameters = decodeParameters(message.parameters, 'the request');
  const outputs = decodeRequestedOutputs(message);
  const request: InferRequest = { model: message.model_name ?? '', inputs: decodeInputs(wireInputs, raw, limits) };
  if (message.model_version) request.version = message.model_version;
  if (message.id) request.id = message.id;
  if (parameters !== undefined) request.parameters = parameters;
  if (outputs !== undefined) request.outputs = outputs;
  return request;
}

function decodeInputs(wireInputs: WireInputTensor[], raw: Buffer[], limits: InferLimits): Tensor[] {
  if (raw.length === 0) {
    return wireInputs.map((t) => decodeTypedTensor({ name: t.name, datatype: t.datatype, shape: decodeShape(t.shape) }, t.contents, limits));
  }
  if (raw.length !== wireInputs.length) {
    throw new ServingError(
      'INVALID_REQUEST',
      `raw_input_contents has ${raw.length} entries for ${wireInputs.length} inputs; send exactly one per input, in order`,
    );
  }
  const mixed = wireInputs.find((t) => hasContents(t.contents));
  if (mixed !== undefined) {
    throw new ServingError(
      'INVALID_REQUEST',
      `input ${quoteName(mixed.name ?? '')} sets contents while the request uses raw_input_contents; send every input one way`,
    );
  }
  return wireInputs.map((t, i) => decodeBinaryTensor({ name: t.name, datatype: t.datatype, shape: decodeShape(t.shape) }, raw[i]!, limits));
}

/**
 * int64 dimensions arrive as decimal strings. A value past 2^53 becomes an unsafe number, which
 * the header check refuses with INVALID_SHAPE like any other bad dimension.
 */
function decodeShape(shape: readonly string[]): number[] {
  return shape.map(Number);
}

function decodeRequestedOutputs(message: WireInferRequest): RequestedOutput[] | undefined {
  if (message.outputs.length === 0) return undefined;
  return message.outputs.map((o, i) => {
    if (!o.name) throw new ServingError('INVALID_REQUEST', `outputs[${i}] needs a non-empty \`name\``);
    const parameters = decodeParameters(o.parameters, `output ${quoteName(o.name)}`);
    return parameters === undefined ? { name: o.name } : { name: o.name, parameters };
  });
}

/** InferParameter map → plain values; 64-bit integers must be exact as JS numbers. */
export function decodeParameters(wire: WireParameters, owner: string): Parameters | undefined {
  const keys = Object.keys(wire);
  if (keys.length === 0) return undefined;
  const out: Parameters = {};
  for (const key of keys) {
    const p = wire[key]!;
    const label = `parameter ${quoteName(key)} of ${owner}`;
    switch (p.parameter_choice) {
      case 'bool_param':
        out[key] = p.bool_param === true;
        break;
      case 'string_param':
        out[key] = p.string_param ?? '';
        break;
      case 'double_param':
        out[key] = p.double_param ?? 0;
        break;
      case 'int64_param':
      case 'uint64_param': {
        const n = Number(p[p.parameter_choice] ?? '0');
        if (!Number.isSafeInteger(n)) throw new ServingError('INVALID_REQUEST', `${label}: integers must lie within ±(2^53 - 1)`);
        out[key] = n;
        break;
      }
      default:
        throw new ServingError('INVALID_REQUEST', `${label} sets no value; set one of bool_param, int64_param, string_param, double_param, uint64_param`);
    }
  }
  return out;
}

/** InferResponse → ModelInferResponse. Outputs always travel raw, as Triton sends them. */
export function encodeModelInfer(request: InferRequest, response: InferResponse): WireInferResponse {
  const outputs: WireInferResponse['outputs'] = [];
  const rawOutputs: Buffer[] = [];
  for (const t of response.outputs) {
    outputs.push({ name: t.name, datatype: t.datatype, shape: t.shape });
    const bytes = encodeBinaryTensor(t);
    rawOutputs.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  const reply: WireInferResponse = {
    model_name: response.model_name,
    model_version: response.model_version,
    outputs,
    raw_output_contents: rawOutputs,
  };
  const id = request.id ?? response.id;
  if (id !== undefined) reply.id = id;
  if (response.parameters !== undefined && Object.keys(response.parameters).length > 0) {
    reply.parameters = encodeInferParameters(response.parameters);
  }
  return reply;
}

