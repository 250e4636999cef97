/**
 * The kit over gRPC: an OipClient whose infer travels through Skein's typed OIP gRPC client, so
 * the functional, statistical, load and e2e suites run unchanged over either transport. Replies
 * are turned into the JSON shape the suites read (`outputs[].data` as plain arrays); failed calls
 * become replies carrying the gRPC code and `{error, code}` built from the status details and
 * the `skein-error-code` trailer.
 */
import * as grpc from '@grpc/grpc-js';
import { createGrpcClient, InferenceClientError, type InferenceClient, type InferResult, type InputTensor } from '../client/index.js';
import { ServingError } from '../errors/index.js';
import { allocateTensorData, encodeBinaryTensor, isDataType, type DataType, type Tensor } from '../tensor/index.js';
import { createOipClient, EndpointError, type OipClient, type OipReply } from './client.js';
import { flatten, type InferBody, type JsonTensor } from './requests.js';

export interface GrpcOipClient extends OipClient {
  readonly protocol: 'grpc';
  /** host:port */
  readonly address: string;
  /** The typed client, for the protocol suite's health and metadata RPCs. */
  readonly inference: InferenceClient;
}

export interface GrpcClientOptions {
  address: string;
  model: string;
  version?: string;
  requestTimeoutMs: number;
  /** Sent as gRPC metadata on every call (`--header`). */
  headers?: Record<string, string>;
}

export const grpcCodeName = (code: number): string => grpc.status[code] ?? `code ${code}`;

/** A client-side deadline is the kit's timeout; every other failure is an answer to report. */
export function grpcFailure(err: unknown, rpc: string, timeoutMs: number): InferenceClientError {
  if (err instanceof InferenceClientError && err.status === grpc.status.DEADLINE_EXCEEDED) {
    throw new EndpointError('timeout', `${rpc} got no answer within ${timeoutMs} ms (requestTimeoutMs)`);
  }
  if (err instanceof InferenceClientError) return err;
  throw err;
}

function checkedDatatype(t: JsonTensor): DataType {
  if (!isDataType(t.datatype)) {
    throw new ServingError('INVALID_CONFIG', `input ${JSON.stringify(t.name.slice(0, 64))}: the suite gives a datatype gRPC cannot carry; use an OIP datatype such as FP32`);
  }
  return t.datatype;
}

function toInput(t: JsonTensor): InputTensor {
  const data = flatten(t.data).map((v) => (typeof v === 'boolean' || typeof v === 'string' ? v : Number(v)));
  return { name: t.name, datatype: checkedDatatype(t), shape: t.shape, data };
}

/** A JSON tensor's values in the raw_input_contents layout (little-endian; BYTES length-prefixed). */
export function rawContents(t: JsonTensor): Uint8Array {
  const datatype = checkedDatatype(t);
  const values = flatten(t.data);
  if (datatype === 'BYTES') return encodeBinaryTensor({ name: t.name, datatype, shape: [values.length], data: values.map(String) });
  const data = allocateTensorData(datatype, values.length);
  const slots = data as unknown as { [i: number]: number | bigint };
  const big = data instanceof BigInt64Array || data instanceof BigUint64Array;
  values.forEach((v, i) => {
    const n = typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
    slots[i] = big ? BigInt(Math.trunc(n)) : n;
  });
  return encodeBinaryTensor({ name: t.name, datatype, shape: [values.length], data } as Tensor);
}

/** Decoded output data as JSON would carry it (64-bit integers as numbers, BOOL as booleans). */
function plainData(t: Tensor): unknown[] {
  if (t.datatype === 'BYTES') return [...(t.data as string[])];
  if (t.datatype === 'BOOL') return Array.from(t.data as Uint8Array, (v) => v !== 0);
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? Number(v) : v));
}

function replyBody(r: InferResult): unknown {
  return {
    model_name: r.model_name, model_version: r.model_version,
    ...(r.id !== undefined ? { id: r.id } : {}), ...(r.parameters ? { parameters: r.parameters } : {}),
    outputs: r.outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: plainData(t) })),
  };
}

/** A failed call as a reply: status 0, the gRPC code, and `{error, code}` for the suites to read. */
export function failedReply(err: InferenceClientError, elapsedMs: number): OipReply {
  const body = { error: err.message, ...(err.code ? { code: err.code } : {}) };
  return { status: 0, grpcCode: err.status, headers: new Headers(), body, text: JSON.stringify(body), elapsedMs };
}

export function createGrpcOipClient(options: GrpcClientOptions): GrpcOipClient {
  const { model, version, requestTimeoutMs } = options;
  const inference = createGrpcClient({ address: options.address, timeoutMs: requestTimeoutMs, ...(options.headers ? { metadata: options.headers } : {}) });
  // Only absolute URLs (a metrics route given with --metrics-url) are fetched over HTTP.
  const http = createOipClient({ endpoint: '', model, requestTimeoutMs, ...(options.headers ? { headers: options.headers } : {}) });

  async function infer(body: unknown): Promise<OipReply> {
    const b = body as InferBody & { id?: string; outputs?: Array<{ name: string }> };
    const started = performance.now();
    const inputs = b.inputs.map(toInput);
    try {
      const result = await inference.infer(model, {
        inputs, ...(version ? { version } : {}), ...(b.id !== undefined ? { id: b.id } : {}),
        ...(b.outputs ? { outputs: b.outputs.map((o) => o.name) } : {}), ...(b.parameters ? { parameters: b.parameters } : {}),
      });
      return { status: 200, headers: new Headers(), body: replyBody(result), text: '', elapsedMs: performance.now() - started };
    } catch (err) {
      if (!(err instanceof InferenceClientError)) {
        // The client refused to encode the values (an INT64 that is not an integer, …).
        throw new ServingError('INVALID_CONFIG', 'a request built from the suite cannot be encoded for gRPC: check its values against their datatypes');
      }
      return failedReply(grpcFailure(err, 'ModelInfer', requestTimeoutMs), performance.now() - started);
    }
  }

  return {
    endpoint: `grpc://${options.address}`,
    protocol: 'grpc',
    address: options.address,
    inference,
    requestTimeoutMs,
    headers: { ...options.headers },
    async request(path, req) {
      if (/^https?:\/\//.test(path)) return http.request(path, req);
      throw new EndpointError('network', `${path}: the endpoint speaks gRPC; give an absolute http(s) URL for HTTP routes`);
    },
    infer,
    inferPath: () => '',
    close: () => inference.close(),
  };
}
