import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Action, Guard } from '../../auth/index.js';
import type { LookupResult, LookupService } from '../../offline/index.js';
import { loadProtoService } from './proto.js';
import { credentialsOf, toGrpcStatus } from './status.js';

const LOOKUP_PROTO = 'prediction_lookup.proto';
const RPC_NAME = 'PredictionLookup/Lookup';

interface WireLookupRequest {
  set?: string;
  keys?: string[];
}

interface WireOutputValue {
  numbers?: number[];
  strings?: string[];
}

/** skein.offline.PredictionLookup from proto/prediction_lookup.proto, with the server's loader options. */
export function loadLookupDefinition(): grpc.ServiceDefinition {
  return loadProtoService(LOOKUP_PROTO, ['skein', 'offline', 'PredictionLookup']);
}

/**
 * Serves skein.offline.PredictionLookup over the lookup service: the same checks and answers as
 * POST /v2/predictions/{set}/lookup. Reading a set needs the same right as inferring with a
 * model of that name.
 */
export function addLookupService(server: grpc.Server, lookup: LookupService, guard: Guard, logger: Logger): void {
  const handler: grpc.handleUnaryCall<WireLookupRequest, unknown> = (call, callback) => {
    const set = call.request.set ?? '';
    const action: Action = { kind: 'infer', model: set };
    const handle = async (): Promise<unknown> => {
      await guard.check(credentialsOf(call.metadata), action);
      return encodeLookup(await lookup.lookup(set, call.request.keys ?? []));
    };
    handle().then(
      (reply) => callback(null, reply),
      (err: unknown) => callback(toGrpcStatus(err, logger, RPC_NAME)),
    );
  };
  server.addService(loadLookupDefinition(), { Lookup: handler });
}

/** JSON values (`number[] | string[]` per output) → OutputValue messages. */
function encodeLookup(result: LookupResult): unknown {
  return {
    ...result,
    results: result.results.map((row) => ({ key: row.key, default: row.default, value: encodeValue(row.value) })),
  };
}

function encodeValue(value: Record<string, readonly unknown[]>): Record<string, WireOutputValue> {
  const encoded: Record<string, WireOutputValue> = {};
  for (const [output, items] of Object.entries(value)) {
    encoded[output] = items.every((item) => typeof item === 'number') ? { numbers: items as number[] } : { strings: items.map(String) };
  }
  return encoded;
}
