import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * Loads proto/grpc_service.proto and proto/health.proto. Decoded messages keep the proto's
 * snake_case names; int64/uint64 values arrive as decimal strings (never lossy JS numbers), enums
 * as their names, repeated fields and maps always present, and each oneof names its set field.
 */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  arrays: true,
  objects: true,
  oneofs: true,
};

const PROTO_FILES = ['grpc_service.proto', 'health.proto'];

/**
 * The proto/ folder at the package root. From sources this file is src/server/grpc/proto.ts; built,
 * it is dist/src/server/grpc/proto.js, one level deeper.
 */
export function protoDirectory(): string {
  for (const relative of ['../../../proto/', '../../../../proto/']) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(`${dir}grpc_service.proto`)) return dir;
  }
  throw new Error('proto/grpc_service.proto not found next to the package; reinstall skein');
}

export interface GrpcDefinitions {
  inference: grpc.ServiceDefinition;
  health: grpc.ServiceDefinition;
  /** Client constructors, for tests and tools that talk to a Skein server. */
  InferenceClient: grpc.ServiceClientConstructor;
  HealthClient: grpc.ServiceClientConstructor;
}

let cached: GrpcDefinitions | undefined;

export function loadGrpcDefinitions(): GrpcDefinitions {
  if (cached) return cached;
  const dir = protoDirectory();
  const packageDefinition = protoLoader.loadSync(PROTO_FILES.map((f) => `${dir}${f}`), { ...PROTO_LOADER_OPTIONS, includeDirs: [dir] });
  const root = grpc.loadPackageDefinition(packageDefinition);
  const InferenceClient = (root.inference as grpc.GrpcObject).GRPCInferenceService as grpc.ServiceClientConstructor;
  const healthPackage = ((root.grpc as grpc.GrpcObject).health as grpc.GrpcObject).v1 as grpc.GrpcObject;
  const HealthClient = healthPackage.Health as grpc.ServiceClientConstructor;
  cached = { inference: InferenceClient.service, health: HealthClient.service, InferenceClient, HealthClient };
  return cached;
}

const services = new Map<string, grpc.ServiceDefinition>();

/**
 * One service of one of Skein's own protos (proto/<file>), loaded with the server's options
 * once per process: `path` is its package path and name, e.g. ['skein', 'offline', 'PredictionLookup'].
 */
export function loadProtoService(file: string, path: readonly string[]): grpc.ServiceDefinition {
  const id = `${file}:${path.join('.')}`;
  const known = services.get(id);
  if (known) return known;
  const dir = protoDirectory();
  let node: grpc.GrpcObject | grpc.ServiceClientConstructor = grpc.loadPackageDefinition(
    protoLoader.loadSync(`${dir}${file}`, { ...PROTO_LOADER_OPTIONS, includeDirs: [dir] }),
  );
  for (const name of path) node = (node as grpc.GrpcObject)[name] as grpc.GrpcObject | grpc.ServiceClientConstructor;
  const service = (node as grpc.ServiceClientConstructor).service;
  services.set(id, service);
  return service;
}
