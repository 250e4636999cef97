import * as grpc from '@grpc/grpc-js';
import { ServingError } from '../../errors/index.js';
import { checkRawRows, inferRaw, type RawInference } from '../raw-request.js';
import { deadlineTimeoutMs, type Rpc } from './handlers.js';
import { decodeModelInfer, encodeModelInfer, type InferLimits } from './infer-codec.js';
import { loadProtoService } from './proto.js';
import { remainingDeadlineMs } from './status.js';
import type { WireInferResponse, WireParameters, WireRequestedOutput } from './wire.js';

const RAW_PROTO = 'raw_inference.proto';

/**
 * One google.protobuf.Value as the loader decodes it: `kind` names the set field. protobufjs
 * bundles struct.proto with camelCase field names (numberValue); a struct.proto read from disk
 * would give snake_case (number_value), so both spellings are read.
 */
interface WireValue {
  kind?: string;
  [field: string]: unknown;
}

interface WireStruct {
  fields: Record<string, WireValue>;
}

interface WireRawRequest {
  model_name?: string;
  model_version?: string;
  id?: string;
  rows: WireStruct[];
  parameters: WireParameters;
  outputs: WireRequestedOutput[];
}

export interface RawRpcOptions extends RawInference {
  limits: InferLimits;
}

/** skein.features.RawInference from proto/raw_inference.proto, with the server's loader options. */
export function loadRawInferenceDefinition(): grpc.ServiceDefinition {
  return loadProtoService(RAW_PROTO, ['skein', 'features', 'RawInference']);
}

/**
 * skein.features.RawInference/ModelInferRaw: the same checks, version choice and answer as
 * POST …/infer-raw, through the same inferRaw, and the same right (`infer:<model>`). parameters
 * and outputs are decoded by ModelInfer's own code, and the answer is a ModelInferResponse
 * encoded as ModelInfer's, so clients read outputs the same way for both.
 */
export function rawInferenceRpc(o: RawRpcOptions): Rpc<WireRawRequest, WireInferResponse> {
  return {
    action: (r) => ({ kind: 'infer', model: r.model_name ?? '' }),
    run: async (r, call, principal) => {
      const request = decodeModelInfer({
        model_name: r.model_name, model_version: r.model_version, id: r.id,
        parameters: r.parameters, outputs: r.outputs, inputs: [], raw_input_contents: [],
      }, o.limits);
      checkRawRows(r.rows);
      const rows = r.rows.map((row, i) => rowOf(row, r.rows.length > 1 ? ` (row ${i})` : ''));
      const timeoutMs = deadlineTimeoutMs(remainingDeadlineMs(call.getDeadline()));
      const response = await inferRaw(o, {
        ...request, rows,
        ...(principal !== undefined ? { principal } : {}),
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      });
      return encodeModelInfer(request, response);
    },
  };
}

/** Value field names, both spellings (see WireValue), to the JSON type REST would have parsed. */
const KIND_OF: Readonly<Record<string, 'null' | 'number' | 'string' | 'bool' | 'struct' | 'list'>> = {
  nullValue: 'null', null_value: 'null',
  numberValue: 'number', number_value: 'number',
  stringValue: 'string', string_value: 'string',
  boolValue: 'bool', bool_value: 'bool',
  structValue: 'struct', struct_value: 'struct',
  listValue: 'list', list_value: 'list',
};

/**
 * A Struct row → the JSON object REST would have parsed for it. Raw fields are numbers or
 * strings (null: absent). A feature set never reads inside a nested struct or list: it refuses
 * one where it reads that field ("must be a number") and ignores it elsewhere, so a nested value
 * becomes an empty object or list rather than being converted, and nothing here recurses.
 */
function rowOf(row: WireStruct, rowLabel: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(row.fields)) {
    const kind = value.kind === undefined ? undefined : KIND_OF[value.kind];
    switch (kind) {
      case 'null':
        out[name] = null;
        break;
      case 'number':
      case 'string':
      case 'bool':
        out[name] = value[value.kind!];
        break;
      case 'struct':
        out[name] = {};
        break;
      case 'list':
        out[name] = [];
        break;
      default:
        throw new ServingError('INVALID_RAW_INPUT', `field "${name.slice(0, 64)}" sets no value${rowLabel}: set null_value for an absent field`);
    }
  }
  return out;
}
