import { decodeBinaryTensor, decodeJsonTensor, encodeBinaryTensor, encodeJsonTensor, type Tensor } from '../tensor/index.js';
import type { ModelMetadata, ServerMetadata } from '../serving/types.js';
import { toTensor } from './tensors.js';
import { InferenceClientError, type InferOptions, type InferResult, type InferenceClient } from './types.js';

export interface RestClientOptions {
  /** Base URL, e.g. http://localhost:8000 */
  url: string;
  /** json: JSON tensors both ways; binary: the binary tensor data extension both ways. */
  encoding?: 'json' | 'binary';
  /** Extra headers on every call, e.g. { authorization: 'Bearer …' }. */
  headers?: Record<string, string>;
  /** Client-side timeout per call (default 30 s). */
  timeoutMs?: number;
  /** Largest tensor the client will decode from a reply (elements). */
  maxTensorElements?: number;
}

const enc = (s: string) => encodeURIComponent(s);
const modelPath = (model: string, version?: string) => `/v2/models/${enc(model)}${version ? `/versions/${enc(version)}` : ''}`;

/** An Open Inference Protocol v2 REST client (JSON or binary tensors). */
export function createRestClient(options: RestClientOptions): InferenceClient {
  const base = options.url.replace(/\/+$/, '');
  const encoding = options.encoding ?? 'json';
  const limits = { maxTensorElements: options.maxTensorElements ?? 1 << 28 };

  async function call(method: 'GET' | 'POST', path: string, body?: Uint8Array | string, headers: Record<string, string> = {}, timeoutMs?: number): Promise<Response> {
    const res = await fetch(base + path, {
      method,
      ...(body !== undefined ? { body } : {}),
      headers: { ...options.headers, ...headers },
      signal: AbortSignal.timeout(timeoutMs ?? options.timeoutMs ?? 30_000),
    });
    return res;
  }

  async function fail(res: Response): Promise<never> {
    const text = await res.text();
    let message = text || res.statusText;
    let code: string | undefined;
    try {
      const parsed = JSON.parse(text) as { error?: string; code?: string };
      message = parsed.error ?? message;
      code = parsed.code;
    } catch {
      // not JSON: keep the text
    }
    throw new InferenceClientError(message, res.status, code);
  }

  async function json<T>(path: string): Promise<T> {
    const res = await call('GET', path);
    if (!res.ok) return fail(res);
    return (await res.json()) as T;
  }

  async function ok(path: string): Promise<boolean> {
    const res = await call('GET', path);
    await res.arrayBuffer();
    return res.ok;
  }

  function requestBody(o: InferOptions): { body: Uint8Array | string; headers: Record<string, string> } {
    const tensors = o.inputs.map(toTensor);
    const head: Record<string, unknown> = {
      ...(o.id !== undefined ? { id: o.id } : {}),
      ...(o.outputs ? { outputs: o.outputs.map((name) => ({ name })) } : {}),
    };
    if (encoding === 'json') {
      head.inputs = tensors.map(encodeJsonTensor);
      if (o.parameters) head.parameters = o.parameters;
      return { body: JSON.stringify(head), headers: { 'content-type': 'application/json' } };
    }
    const parts = tensors.map(encodeBinaryTensor);
    head.inputs = tensors.map((t, i) => ({ name: t.name, datatype: t.datatype, shape: t.shape, parameters: { binary_data_size: parts[i]!.byteLength } }));
    head.parameters = { ...o.parameters, binary_data_output: true };
    const header = Buffer.from(JSON.stringify(head));
    return {
      body: Buffer.concat([header, ...parts]),
      headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.byteLength) },
    };
  }

  function decodeReply(raw: Buffer, headerLength: string | null): InferResult {
    const jsonEnd = headerLength === null ? raw.byteLength : Number(headerLength);
    type WireOutput = Omit<Tensor, 'data'> & { data?: unknown; parameters?: { binary_data_size?: number } };
    const head = JSON.parse(raw.subarray(0, jsonEnd).toString('utf8')) as Omit<InferResult, 'outputs'> & { outputs: WireOutput[] };
    let offset = jsonEnd;
    const outputs = head.outputs.map((o) => {
      const size = o.parameters?.binary_data_size;
      if (size === undefined) return decodeJsonTensor(o, limits);
      const t = decodeBinaryTensor(o, raw.subarray(offset, offset + size), limits);
      offset += size;
      return t;
    });
    return { ...head, outputs };
  }

  return {
    serverLive: () => ok('/v2/health/live'),
    serverReady: () => ok('/v2/health/ready'),
    modelReady: (model, version) => ok(`${modelPath(model, version)}/ready`),
    serverMetadata: () => json<ServerMetadata>('/v2'),
    modelMetadata: (model, version) => json<ModelMetadata>(modelPath(model, version)),
    async infer(model, o) {
      const { body, headers } = requestBody(o);
      const res = await call('POST', `${modelPath(model, o.version)}/infer`, body, headers, o.timeoutMs);
      if (!res.ok) return fail(res);
      return decodeReply(Buffer.from(await res.arrayBuffer()), res.headers.get('inference-header-content-length'));
    },
    close: async () => undefined,
  };
}
