/**
 * A minimal Open Inference Protocol REST client for the testkit: fetch-based, one named timeout
 * per request (AbortSignal), JSON bodies or raw bytes, and binary (`binary_tensor_data`) replies
 * decoded to plain arrays. A full typed client is a separate piece of work; this one exists so the
 * kit can also send the malformed requests a well-behaved client never would.
 */

/** A request that got no answer; `kind` says whether it timed out or never connected. */
export class EndpointError extends Error {
  readonly kind: 'timeout' | 'network';

  constructor(kind: 'timeout' | 'network', message: string) {
    super(message);
    this.name = 'EndpointError';
    this.kind = kind;
  }
}

export interface OipReply {
  /** The HTTP status; over gRPC 200 when the call succeeded and 0 when it failed (see grpcCode). */
  status: number;
  /** Over gRPC, the status code of a failed call (3 = INVALID_ARGUMENT, …). */
  grpcCode?: number;
  headers: Headers;
  /** Parsed JSON (binary replies: the JSON header with outputs' `data` filled in); undefined if not JSON. */
  body: unknown;
  /** The body as text (empty for binary replies). */
  text: string;
  elapsedMs: number;
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  body?: string | Uint8Array;
  headers?: Record<string, string>;
}

export interface OipClient {
  readonly endpoint: string;
  /** The transport infer calls travel over. */
  readonly protocol: 'rest' | 'grpc';
  readonly requestTimeoutMs: number;
  /** Headers sent with every request. */
  readonly headers: Record<string, string>;
  /** `path` is relative to the endpoint, or an absolute http(s) URL. */
  request(path: string, options?: RequestOptions): Promise<OipReply>;
  /** POST /v2/models/{m}[/versions/{v}]/infer with a JSON body. */
  infer(body: unknown): Promise<OipReply>;
  inferPath(): string;
  /** Ends the client's connections (the gRPC channel). */
  close(): Promise<void>;
}

export interface ClientOptions {
  endpoint: string;
  model: string;
  version?: string;
  requestTimeoutMs: number;
  /** Sent with every request (for example `authorization`). */
  headers?: Record<string, string>;
}

export function createOipClient(options: ClientOptions): OipClient {
  const endpoint = options.endpoint.replace(/\/+$/, '');
  const modelPath = `/v2/models/${encodeURIComponent(options.model)}` +
    (options.version ? `/versions/${encodeURIComponent(options.version)}` : '');
  const inferPath = `${modelPath}/infer`;

  async function request(path: string, req: RequestOptions = {}): Promise<OipReply> {
    const method = req.method ?? (req.body === undefined ? 'GET' : 'POST');
    const started = performance.now();
    let res: Response;
    try {
      res = await fetch(/^https?:\/\//.test(path) ? path : endpoint + path, {
        method,
        body: req.body,
        headers: { ...options.headers, ...req.headers },
        signal: AbortSignal.timeout(options.requestTimeoutMs),
      });
      const bytes = new Uint8Array(await res.arrayBuffer());
      const binary = res.headers.has('inference-header-content-length');
      return {
        status: res.status, headers: res.headers, body: decodeBody(res.headers, bytes),
        text: binary ? '' : utf8.decode(bytes), elapsedMs: performance.now() - started,
      };
    } catch (err) {
      throw toEndpointError(err, `${method} ${path}`, options.requestTimeoutMs);
    }
  }

  return {
    endpoint,
    protocol: 'rest',
    requestTimeoutMs: options.requestTimeoutMs,
    headers: { ...options.headers },
    request,
    infer: (body) => request(inferPath, { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    inferPath: () => inferPath,
    close: async () => undefined,
  };
}

function toEndpointError(err: unknown, what: string, timeoutMs: number): EndpointError {
  const name = err instanceof Error ? err.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new EndpointError('timeout', `${what} got no answer within ${timeoutMs} ms (requestTimeoutMs)`);
  }
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : err instanceof Error ? err.message : String(err);
  return new EndpointError('network', `${what} failed: ${cause}`);
}

const utf8 = new TextDecoder();

function decodeBody(headers: Headers, bytes: Uint8Array): unknown {
  const headerLength = headers.get('inference-header-content-length');
  if (headerLength !== null && /^[0-9]+$/.test(headerLength)) {
    try {
      return decodeBinaryReply(bytes, Number(headerLength));
    } catch {
      return undefined;
    }
  }
  try {
    return bytes.byteLength === 0 ? undefined : JSON.parse(utf8.decode(bytes));
  } catch {
    return undefined;
  }
}

interface BinaryOutput {
  datatype?: string;
  data?: unknown;
  parameters?: { binary_data_size?: number };
}

/** Splits a binary reply: JSON header, then each binary output's bytes in order. */
function decodeBinaryReply(bytes: Uint8Array, headerLength: number): unknown {
  const header = JSON.parse(utf8.decode(bytes.subarray(0, headerLength))) as { outputs?: BinaryOutput[] };
  let offset = headerLength;
  for (const output of header.outputs ?? []) {
    const size = output.parameters?.binary_data_size;
    if (typeof size !== 'number') continue;
    const part = bytes.slice(offset, offset + size);
    offset += size;
    output.data = decodeBinaryData(String(output.datatype), part);
  }
  return header;
}

const TYPED: Record<string, (b: ArrayBuffer) => ArrayLike<number | bigint>> = {
  UINT8: (b) => new Uint8Array(b), INT8: (b) => new Int8Array(b),
  UINT16: (b) => new Uint16Array(b), INT16: (b) => new Int16Array(b),
  UINT32: (b) => new Uint32Array(b), INT32: (b) => new Int32Array(b),
  UINT64: (b) => new BigUint64Array(b), INT64: (b) => new BigInt64Array(b),
  FP32: (b) => new Float32Array(b), FP64: (b) => new Float64Array(b),
};

/** Binary tensor bytes as JSON-like values (64-bit integers become numbers, as in JSON replies). */
export function decodeBinaryData(datatype: string, bytes: Uint8Array): unknown[] {
  if (datatype === 'BOOL') return Array.from(bytes, (b) => b !== 0);
  if (datatype === 'BYTES') {
    const out: string[] = [];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let at = 0; at + 4 <= bytes.byteLength;) {
      const length = view.getUint32(at, true);
      out.push(utf8.decode(bytes.subarray(at + 4, at + 4 + length)));
      at += 4 + length;
    }
    return out;
  }
  const make = TYPED[datatype];
  if (!make) return [];
  const copy = bytes.slice().buffer;
  return Array.from(make(copy), (v) => (typeof v === 'bigint' ? Number(v) : v));
}
