import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { isServingError } from '../errors/index.js';
import type { ServerMetadata } from '../serving/types.js';
import { decodeInferReply, decodeModelMetadata, encodeInferRequest, type WireInferReply, type WireModelMetadata } from './grpc-codec.js';
import { InferenceClientError, type InferenceClient } from './types.js';

export interface GrpcClientOptions {
  /** host:port of an OIP v2 gRPC endpoint, e.g. localhost:8001. */
  address: string;
  /** Channel credentials; default plaintext (grpc.credentials.createInsecure()). */
  credentials?: grpc.ChannelCredentials;
  /** Metadata sent on every call, e.g. { authorization: 'Bearer …' } or { 'x-api-key': '…' }. */
  metadata?: Record<string, string>;
  /** Deadline of each call (default 30 s); InferOptions.timeoutMs overrides it per infer. */
  timeoutMs?: number;
  /** Largest message sent or received (default 64 MiB, Skein's default body limit). */
  maxMessageBytes?: number;
  /** Largest tensor the client will decode from a reply (elements). */
  maxTensorElements?: number;
}

/** Trailing metadata key in which Skein sends its error code (see docs/grpc.md). */
const ERROR_CODE_METADATA_KEY = 'skein-error-code';
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * Replies keep the proto's snake_case names, int64 values arrive as decimal strings (so INT64
 * typed contents and shapes are never rounded), repeated fields are always arrays.
 */
const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true, longs: String, enums: String, defaults: false, arrays: true, objects: true, oneofs: true,
};

type Callback = (err: grpc.ServiceError | null, reply: unknown) => void;
type UnaryMethod = (request: object, metadata: grpc.Metadata, options: grpc.CallOptions, callback: Callback) => grpc.ClientUnaryCall;
type Rpc = 'ServerLive' | 'ServerReady' | 'ModelReady' | 'ServerMetadata' | 'ModelMetadata' | 'ModelInfer';
type ServiceStub = grpc.Client & Record<Rpc, UnaryMethod>;

/**
 * The package's proto/ folder. From sources this file is src/client/grpc-client.ts; built, it is
 * dist/src/client/grpc-client.js, one level deeper.
 */
function protoDirectory(): string {
  for (const relative of ['../../proto/', '../../../proto/']) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(`${dir}grpc_service.proto`)) return dir;
  }
  throw new Error('proto/grpc_service.proto not found next to the package; reinstall skein');
}

let serviceConstructor: grpc.ServiceClientConstructor | undefined;

function loadService(): grpc.ServiceClientConstructor {
  if (serviceConstructor) return serviceConstructor;
  const dir = protoDirectory();
  const definition = protoLoader.loadSync(`${dir}grpc_service.proto`, { ...LOADER_OPTIONS, includeDirs: [dir] });
  const root = grpc.loadPackageDefinition(definition);
  serviceConstructor = (root.inference as grpc.GrpcObject).GRPCInferenceService as grpc.ServiceClientConstructor;
  return serviceConstructor;
}

/** A gRPC failure as the client reports it: status = the gRPC code, code = Skein's error code. */
function toClientError(err: grpc.ServiceError): InferenceClientError {
  const code = err.metadata?.get(ERROR_CODE_METADATA_KEY)[0];
  return new InferenceClientError(err.details || err.message, err.code, typeof code === 'string' ? code : undefined);
}

/**
 * A reply the client cannot turn into tensors (over maxTensorElements, sizes that do not add up)
 * is INTERNAL, as grpc-js reports a reply it cannot parse; a tensor check's code is kept.
 */
function unreadableReply(err: unknown): InferenceClientError {
  const message = err instanceof Error ? err.message.replace(/^input /, 'output ') : String(err);
  const code = isServingError(err) ? err.code : undefined;
  return new InferenceClientError(`the reply cannot be read: ${message}`, grpc.status.INTERNAL, code);
}

/**
 * An Open Inference Protocol v2 gRPC client (inference.GRPCInferenceService). Inputs travel in
 * raw_input_contents; replies are read from raw_output_contents (Skein, Triton) or from typed
 * contents (KServe). One channel per client, shared by concurrent calls; close() ends it.
 */
export function createGrpcClient(options: GrpcClientOptions): InferenceClient {
  const Service = loadService();
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const stub = new Service(options.address, options.credentials ?? grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
  }) as unknown as ServiceStub;
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
  const limits = { maxTensorElements: options.maxTensorElements ?? 1 << 28 };

  function call<T>(rpc: Rpc, request: object, timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS): Promise<T> {
    return new Promise((resolve, reject) => {
      // grpc-js may add headers to the Metadata it is given, so each call gets its own copy.
      stub[rpc](request, metadata.clone(), { deadline: Date.now() + timeoutMs }, (err, reply) => {
        if (err) reject(toClientError(err));
        else resolve(reply as T);
      });
    });
  }

  return {
    serverLive: async () => (await call<{ live?: boolean }>('ServerLive', {})).live === true,
    serverReady: async () => (await call<{ ready?: boolean }>('ServerReady', {})).ready === true,
    async modelReady(model, version) {
      try {
        return (await call<{ ready?: boolean }>('ModelReady', { name: model, version: version ?? '' })).ready === true;
      } catch (err) {
        // As over REST (404 → false): an unknown model is not ready; anything else is a failure.
        if (err instanceof InferenceClientError && err.status === grpc.status.NOT_FOUND) return false;
        throw err;
      }
    },
    async serverMetadata(): Promise<ServerMetadata> {
      const m = await call<{ name?: string; version?: string; extensions: string[] }>('ServerMetadata', {});
      return { name: m.name ?? '', version: m.version ?? '', extensions: m.extensions };
    },
    modelMetadata: async (model, version) =>
      decodeModelMetadata(await call<WireModelMetadata>('ModelMetadata', { name: model, version: version ?? '' })),
    async infer(model, o) {
      const reply = await call<WireInferReply>('ModelInfer', encodeInferRequest(model, o), o.timeoutMs);
      try {
        return decodeInferReply(reply, limits);
      } catch (err) {
        throw unreadableReply(err);
      }
    },
    close: async () => stub.close(),
  };
}
