/**
 * Building infer bodies and reading replies: from golden examples, data-file instances, or the
 * model's metadata alone. Shared by every suite.
 */
import { ServingError } from '../errors/index.js';
import type { Clock } from '../util/index.js';
import { EndpointError, type OipClient, type OipReply } from './client.js';
import type { Instance, Suite } from './suite.js';
import type { LoadProgress } from './types.js';

export interface TensorMeta {
  name: string;
  datatype: string;
  shape: number[];
}

export interface ModelMeta {
  name: string;
  inputs: TensorMeta[];
  outputs: TensorMeta[];
}

export interface JsonTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: unknown[];
}

export interface InferBody {
  inputs: JsonTensor[];
  parameters?: Record<string, string | number | boolean>;
}

/** What every suite gets: the client, the model's metadata when the server gave it, the suite. */
export interface SuiteContext {
  client: OipClient;
  model: string;
  version?: string;
  metadata?: ModelMeta;
  suite: Suite;
  clock: Clock;
  onLoadProgress?: (progress: LoadProgress) => void;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function tensorMetas(value: unknown): TensorMeta[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: TensorMeta[] = [];
  for (const t of value) {
    if (!isObject(t) || typeof t.name !== 'string' || typeof t.datatype !== 'string' || !Array.isArray(t.shape)) return undefined;
    if (!t.shape.every((d) => Number.isInteger(d))) return undefined;
    out.push({ name: t.name, datatype: t.datatype, shape: t.shape as number[] });
  }
  return out;
}

/** OIP model metadata, or a sentence saying what is wrong with it. */
export function parseModelMetadata(body: unknown): ModelMeta | string {
  if (!isObject(body)) return 'the model metadata is not a JSON object';
  if (typeof body.name !== 'string') return 'the model metadata has no string `name`';
  const inputs = tensorMetas(body.inputs);
  const outputs = tensorMetas(body.outputs);
  if (!inputs || inputs.length === 0) return 'the model metadata has no valid `inputs` (each needs name, datatype, shape)';
  if (!outputs) return 'the model metadata has no valid `outputs` (each needs name, datatype, shape)';
  return { name: body.name, inputs, outputs };
}

export function flatten(data: unknown): unknown[] {
  return Array.isArray(data) ? data.flatMap((d) => flatten(d)) : [data];
}

/** The shape of one row: the declared shape without its leading -1 batch dimension. */
function rowShape(meta: TensorMeta, elements: number): number[] {
  const dims = meta.shape[0] === -1 ? meta.shape.slice(1) : meta.shape;
  const known = dims.filter((d) => d >= 0).reduce((a, b) => a * b, 1);
  const filled = dims.map((d) => (d >= 0 ? d : Math.max(1, Math.round(elements / Math.max(1, known)))));
  return meta.shape[0] === -1 ? [1, ...filled] : filled;
}

/** One row from a data file as an infer body: `{input: value}` where value is the row's data. */
export function instanceBody(meta: ModelMeta, row: Instance): InferBody {
  return {
    inputs: meta.inputs.map((input) => {
      if (!(input.name in row)) {
        throw new ServingError('INVALID_CONFIG', `statistical.data: a row has no value for input ${JSON.stringify(input.name.slice(0, 64))}`);
      }
      const data = flatten(row[input.name]);
      return { name: input.name, datatype: input.datatype, shape: rowShape(input, data.length), data };
    }),
  };
}

function zeroOf(datatype: string): unknown {
  if (datatype === 'BOOL') return false;
  if (datatype === 'BYTES') return '';
  return 0;
}

/** A one-row request made of zeros (false, ""), for servers whose models take any values. */
export function syntheticBody(meta: ModelMeta): InferBody {
  return {
    inputs: meta.inputs.map((input) => {
      const shape = input.shape.map((d) => (d < 0 ? 1 : d));
      const count = shape.reduce((a, b) => a * b, 1);
      return { name: input.name, datatype: input.datatype, shape, data: new Array<unknown>(count).fill(zeroOf(input.datatype)) };
    }),
  };
}

/** A request the model should answer: the first golden example, else a data row, else zeros. */
export function referenceBody(ctx: SuiteContext): InferBody | undefined {
  const golden = ctx.suite.functional?.examples[0];
  if (golden) return { inputs: golden.inputs, ...(golden.parameters ? { parameters: golden.parameters } : {}) };
  if (!ctx.metadata) return undefined;
  const row = ctx.suite.statistical?.data[0];
  return row ? instanceBody(ctx.metadata, row) : syntheticBody(ctx.metadata);
}

export interface ReplyTensor {
  datatype?: string;
  shape?: number[];
  data: unknown[];
}

/** The outputs of an infer reply by name; empty when the reply has none. */
export function outputsOf(body: unknown): Map<string, ReplyTensor> {
  const out = new Map<string, ReplyTensor>();
  if (!isObject(body) || !Array.isArray(body.outputs)) return out;
  for (const t of body.outputs) {
    if (!isObject(t) || typeof t.name !== 'string') continue;
    out.set(t.name, {
      ...(typeof t.datatype === 'string' ? { datatype: t.datatype } : {}),
      ...(Array.isArray(t.shape) ? { shape: t.shape as number[] } : {}),
      data: flatten(t.data ?? []),
    });
  }
  return out;
}

/** The OIP error message of a reply (`{"error": "..."}`), if it has a non-empty one. */
export function errorMessageOf(body: unknown): string | undefined {
  return isObject(body) && typeof body.error === 'string' && body.error.trim() !== '' ? body.error : undefined;
}

/** gRPC status names by code, so describeStatus needs no gRPC library. */
const grpcStatusNames = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE',
  'DATA_LOSS', 'UNAUTHENTICATED',
];

/** A one-line description of a non-200 reply, without echoing what was sent. */
export function describeStatus(reply: OipReply): string {
  const message = errorMessageOf(reply.body);
  const code = isObject(reply.body) && typeof reply.body.code === 'string' ? ` ${reply.body.code}` : '';
  if (reply.grpcCode !== undefined) {
    return `gRPC ${grpcStatusNames[reply.grpcCode] ?? 'status'} (${reply.grpcCode})${code}${message ? `: ${message.slice(0, 200)}` : ''}`;
  }
  return `HTTP ${reply.status}${code}${message ? `: ${message.slice(0, 200)}` : ''}`;
}

/** Endpoint errors (timeouts, refused connections) become case messages; anything else is a bug. */
export function failureMessage(err: unknown): string {
  if (err instanceof EndpointError || err instanceof ServingError) return err.message;
  throw err;
}

export const isTimeout = (err: unknown): boolean => err instanceof EndpointError && err.kind === 'timeout';
