/**
 * A raw ModelInfer caller for the error-handling suite over gRPC. The typed client refuses to
 * build the malformed requests the suite needs (contents of the wrong size, typed and raw
 * contents together), so this one loads the OIP proto itself and sends request objects as given.
 * It sets no message limit of its own: the server's limit is what the suite tests.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { EndpointError } from './client.js';

export type RawAnswer = { ok: true } | { ok: false; code: number; details: string; skeinCode?: string };

export interface RawInferCaller {
  infer(request: object): Promise<RawAnswer>;
  /** The serialized size of a ModelInferRequest, as the server counts it against its limit. */
  messageBytes(request: object): number;
  close(): void;
}

/** proto/ beside the package: two levels up from src/testkit/, three from dist/src/testkit/. */
function protoDirectory(): string {
  for (const relative of ['../../proto/', '../../../proto/']) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(`${dir}grpc_service.proto`)) return dir;
  }
  throw new Error('proto/grpc_service.proto not found next to the package; reinstall skein');
}

type UnaryCall = (request: object, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null) => void) => void;

let service: grpc.ServiceClientConstructor | undefined;

function loadService(): grpc.ServiceClientConstructor {
  if (service) return service;
  const dir = protoDirectory();
  const definition = protoLoader.loadSync(`${dir}grpc_service.proto`, {
    keepCase: true, longs: String, enums: String, defaults: false, arrays: true, oneofs: true, includeDirs: [dir],
  });
  const root = grpc.loadPackageDefinition(definition);
  service = (root.inference as grpc.GrpcObject).GRPCInferenceService as grpc.ServiceClientConstructor;
  return service;
}

export function createRawInferCaller(address: string, timeoutMs: number, headers: Record<string, string> = {}): RawInferCaller {
  const Service = loadService();
  const stub = new Service(address, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': -1,
  }) as unknown as grpc.Client & { ModelInfer: UnaryCall };
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
  const serialize = Service.service.ModelInfer!.requestSerialize;
  return {
    infer: (request) => new Promise((resolve, reject) => {
      stub.ModelInfer(request, metadata.clone(), { deadline: Date.now() + timeoutMs }, (err: grpc.ServiceError | null) => {
        if (!err) return resolve({ ok: true });
        if (err.code === grpc.status.DEADLINE_EXCEEDED) {
          return reject(new EndpointError('timeout', `ModelInfer got no answer within ${timeoutMs} ms (requestTimeoutMs)`));
        }
        const skeinCode = err.metadata?.get('skein-error-code')[0];
        resolve({ ok: false, code: err.code, details: err.details ?? '', ...(typeof skeinCode === 'string' ? { skeinCode } : {}) });
      });
    }),
    messageBytes: (request) => serialize(request).byteLength,
    close: () => stub.close(),
  };
}

const varintBytes = (n: number): number => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);

/**
 * `request` with one raw_input_contents entry sized so the whole message is exactly
 * `messageBytes` long (the entry's length prefix grows with it, hence the loop).
 */
export function requestOfSize(caller: RawInferCaller, request: Record<string, unknown>, messageBytes: number): Record<string, unknown> {
  const base = caller.messageBytes({ ...request, raw_input_contents: [Buffer.alloc(0)] });
  let size = Math.max(0, messageBytes - base);
  for (let i = 0; i < 4; i++) {
    const next = Math.max(0, messageBytes - base + varintBytes(0) - varintBytes(size));
    if (next === size) break;
    size = next;
  }
  return { ...request, raw_input_contents: [Buffer.alloc(size)] };
}
