/**
 * An independent OIP gRPC client for the tests of this folder: it loads proto/*.proto itself with
 * @grpc/proto-loader (not through the server's loader) and encodes raw tensors with its own code.
 * Not exported from index.ts.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));

export interface CallOptions {
  /** An array sends the key once per value. */
  metadata?: Record<string, string | string[]>;
  deadline?: Date;
}

export interface CallFailure {
  code: number;
  details: string;
  /** The Skein error code from trailing metadata (`skein-error-code`). */
  skeinCode: string | undefined;
}

export interface TestClient {
  call<T = any>(method: string, request: unknown, options?: CallOptions): Promise<T>;
  health(service: string): Promise<{ status: string }>;
  watchHealth(service: string): Promise<CallFailure>;
  close(): void;
}

export function connectGrpc(port: number): TestClient {
  const definition = protoLoader.loadSync([`${PROTO_DIR}grpc_service.proto`, `${PROTO_DIR}health.proto`], {
    keepCase: true, longs: String, enums: String, defaults: true, arrays: true, oneofs: true,
  });
  const root = grpc.loadPackageDefinition(definition) as any;
  const address = `127.0.0.1:${port}`;
  const inference = new root.inference.GRPCInferenceService(address, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1,
    'grpc.max_send_message_length': -1,
  }) as grpc.Client & Record<string, Function>;
  const health = new root.grpc.health.v1.Health(address, grpc.credentials.createInsecure()) as grpc.Client & Record<string, Function>;

  const invoke = <T>(client: Record<string, Function>, method: string, request: unknown, options: CallOptions = {}) =>
    new Promise<T>((resolve, reject) => {
      const metadata = new grpc.Metadata();
      for (const [k, v] of Object.entries(options.metadata ?? {})) {
        for (const value of [v].flat()) metadata.add(k, value);
      }
      const callOptions: grpc.CallOptions = options.deadline ? { deadline: options.deadline } : {};
      client[method]!.call(client, request, metadata, callOptions, (err: grpc.ServiceError | null, reply: T) =>
        err ? reject(err) : resolve(reply));
    });

  return {
    call: (method, request, options) => invoke(inference, method, request, options),
    health: (service) => invoke(health, 'Check', { service }),
    watchHealth: (service) =>
      new Promise((resolve) => {
        const stream = (health as any).Watch({ service }) as grpc.ClientReadableStream<unknown>;
        stream.on('data', () => undefined);
        stream.on('error', (err: grpc.ServiceError) => resolve(failureOf(err)));
      }),
    close() {
      inference.close();
      health.close();
    },
  };
}

export function failureOf(err: unknown): CallFailure {
  const e = err as grpc.ServiceError;
  const code = e.metadata?.get('skein-error-code')[0];
  return { code: e.code, details: e.details, skeinCode: typeof code === 'string' ? code : undefined };
}

/** The failure of a call expected to fail; throws when it succeeds. */
export async function failure(promise: Promise<unknown>): Promise<CallFailure> {
  try {
    await promise;
  } catch (err) {
    return failureOf(err);
  }
  throw new Error('the call succeeded but a failure was expected');
}

type Raw = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** The little-endian raw form of fixed-size data, or BYTES strings with u32 length prefixes. */
export function rawBytes(data: Raw | string[]): Buffer {
  if (!Array.isArray(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat(data.flatMap((s) => {
    const body = Buffer.from(s, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32LE(body.byteLength);
    return [length, body];
  }));
}

/** Splits raw BYTES output back into strings. */
export function bytesElements(raw: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at < raw.byteLength;) {
    const n = raw.readUInt32LE(at);
    out.push(raw.subarray(at + 4, at + 4 + n).toString('utf8'));
    at += 4 + n;
  }
  return out;
}

/** The Guard of a server with auth disabled. */
export const allowAll = { enabled: false, check: async () => undefined };
