import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Guard } from '../../auth/index.js';
import { ServingError } from '../../errors/index.js';
import type { FeatureServing } from '../../features/index.js';
import type { LookupService } from '../../offline/index.js';
import type { InferenceService } from '../../serving/index.js';
import { healthCheck, inferenceRpcs, type Rpc } from './handlers.js';
import { addLookupService } from './lookup.js';
import { loadGrpcDefinitions } from './proto.js';
import { loadRawInferenceDefinition, rawInferenceRpc } from './raw.js';
import { credentialsOf, toGrpcStatus } from './status.js';

export interface GrpcLimits {
  /** Largest message received or sent; a larger one is answered RESOURCE_EXHAUSTED. */
  maxMessageBytes: number;
  maxTensorElements: number;
  maxInputs: number;
}

export interface GrpcServerOptions {
  service: InferenceService;
  guard: Guard;
  logger: Logger;
  limits: GrpcLimits;
  /** Whether RepositoryModelLoad/Unload are enabled (explicit control mode). */
  modelControl: boolean;
  /** TLS credentials; default insecure (plaintext HTTP/2). */
  credentials?: grpc.ServerCredentials;
  /** When given, skein.offline.PredictionLookup is served beside the inference service. */
  lookup?: LookupService;
  /**
   * When given, skein.features.RawInference (raw fields of models with a feature set) is served
   * beside the inference service, as REST serves /infer-raw.
   */
  features?: FeatureServing;
}

export interface GrpcServer {
  /** Resolves with the bound port (useful with port 0). host defaults to 127.0.0.1. */
  listen(port: number, host?: string): Promise<{ port: number }>;
  /**
   * Stops accepting calls and resolves once in-flight calls are answered. Calls that still
   * arrive meanwhile get UNAVAILABLE (SHUTTING_DOWN), except health checks. Draining the
   * service's queues is the caller's job, before this.
   */
  close(): Promise<void>;
}

/**
 * OIP v2 gRPC (inference.GRPCInferenceService) and grpc.health.v1 over the InferenceService, plus
 * Skein's skein.offline.PredictionLookup and skein.features.RawInference when given their services.
 */
export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const { service, guard, logger, limits } = options;
  const definitions = loadGrpcDefinitions();
  const server = new grpc.Server({
    'grpc.max_receive_message_length': limits.maxMessageBytes,
    'grpc.max_send_message_length': limits.maxMessageBytes,
  });
  let closing = false;

  /** Every call: guard first, then the handler; every failure through the one status table. */
  const unary = (name: string, rpc: Rpc, duringClose: boolean): grpc.handleUnaryCall<unknown, unknown> =>
    (call, callback) => {
      const handle = async (): Promise<unknown> => {
        if (closing && !duringClose) {
          throw new ServingError('SHUTTING_DOWN', 'the server is shutting down; retry on another replica');
        }
        const principal = await guard.check(credentialsOf(call.metadata), rpc.action(call.request));
        return rpc.run(call.request, call, principal?.id);
      };
      handle().then(
        (reply) => callback(null, reply),
        (err: unknown) => callback(toGrpcStatus(err, logger, name)),
      );
    };

  const rpcs = inferenceRpcs({ service, limits, modelControl: options.modelControl });
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [name, rpc] of Object.entries(rpcs)) {
    implementation[name] = unary(name, rpc, name === 'ServerLive' || name === 'ServerReady');
  }
  server.addService(definitions.inference, implementation);
  server.addService(definitions.health, {
    Check: unary('Health/Check', healthCheck(service), true),
    // Probes poll Check; a watch stream would hold a call open per prober for nothing.
    Watch: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'Health/Watch is not implemented; poll Health/Check' });
    },
  });
  if (options.lookup) addLookupService(server, options.lookup, guard, logger);
  if (options.features) {
    const raw = rawInferenceRpc({ service, features: options.features, limits });
    server.addService(loadRawInferenceDefinition(), { ModelInferRaw: unary('RawInference/ModelInferRaw', raw, false) });
  }

  return {
    listen(port, host = '127.0.0.1') {
      const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      const credentials = options.credentials ?? grpc.ServerCredentials.createInsecure();
      return new Promise((resolve, reject) => {
        server.bindAsync(address, credentials, (err, bound) => (err ? reject(err) : resolve({ port: bound })));
      });
    },
    close() {
      closing = true;
      return new Promise((resolve) => {
        server.tryShutdown((err) => {
          // tryShutdown fails only when the server never started; there is nothing left to drain.
          if (err) server.forceShutdown();
          resolve();
        });
      });
    },
  };
}
