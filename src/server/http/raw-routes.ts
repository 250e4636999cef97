import type { FastifyInstance } from 'fastify';
import { ServingError } from '../../errors/index.js';
import type { ParameterValue, RequestedOutput } from '../../serving/index.js';
import type { Signature } from '../../tensor/index.js';
import { checkRawRows, inferRaw, type RawInference } from '../raw-request.js';
import { parseJsonObject } from './body.js';
import { modelRoute } from './model-routes.js';
import { encodeInferResponse, type DecodedInfer } from './oip-codec.js';

/** The ready version a request resolves to, as the manager sees it. */
export interface ResolvedVersion {
  version: number;
  /** New each time the version is loaded (the manager's entry): a reload re-reads its files. */
  generation: object;
  signature: Signature;
}

export interface RawRouteOptions extends RawInference {
  /** Resolves a number, a label or nothing (the default version); throws MODEL_NOT_FOUND, VERSION_NOT_FOUND, MODEL_NOT_READY. */
  resolve(model: string, version: string | undefined): ResolvedVersion;
  maxJsonDepth: number;
}

const BODY_KEYS: ReadonlySet<string> = new Set(['id', 'rows', 'raw', 'parameters', 'outputs']);

interface RawBody {
  rows: unknown[];
  decoded: DecodedInfer;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function parameters(raw: unknown, owner: string): Record<string, ParameterValue> | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw) || !Object.values(raw).every((v) => ['string', 'number', 'boolean'].includes(typeof v))) {
    throw new ServingError('INVALID_REQUEST', `\`parameters\` of ${owner} must be an object of string, number or boolean values`);
  }
  return raw as Record<string, ParameterValue>;
}

function requestedOutputs(raw: unknown): RequestedOutput[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) throw new ServingError('INVALID_REQUEST', '`outputs` must be a list of {name, parameters?}');
  return raw.map((o: unknown, i) => {
    if (!isObject(o) || typeof o.name !== 'string' || o.name.length === 0) {
      throw new ServingError('INVALID_REQUEST', `outputs[${i}] must be an object with a non-empty string \`name\``);
    }
    const p = parameters(o.parameters, `outputs[${i}]`);
    return p === undefined ? { name: o.name } : { name: o.name, parameters: p };
  });
}

/** `{"id"?, "rows": [{...}, ...] | "raw": {...}, "parameters"?, "outputs"?}`. */
export function parseRawBody(body: unknown, maxJsonDepth: number): RawBody {
  const doc = parseJsonObject(body, maxJsonDepth);
  for (const key of Object.keys(doc)) {
    if (!BODY_KEYS.has(key)) {
      throw new ServingError('INVALID_REQUEST', `unknown key "${key.slice(0, 64)}": infer-raw takes {id?, rows | raw, parameters?, outputs?}; OIP tensors go to /infer`);
    }
  }
  if ((doc.rows === undefined) === (doc.raw === undefined)) {
    throw new ServingError('INVALID_RAW_INPUT', 'send the raw fields as "rows": [{...}, ...] or, for one row, "raw": {...} (exactly one of them)');
  }
  let rows: unknown[];
  if (doc.rows !== undefined) {
    rows = checkRawRows(doc.rows);
  } else {
    if (!isObject(doc.raw)) throw new ServingError('INVALID_RAW_INPUT', '"raw" must be an object of raw fields');
    rows = [doc.raw];
  }
  if (doc.id !== undefined && typeof doc.id !== 'string') throw new ServingError('INVALID_REQUEST', '`id` must be a string');
  const decoded: DecodedInfer = { inputs: [] };
  if (doc.id !== undefined) decoded.id = doc.id;
  const p = parameters(doc.parameters, 'the request');
  if (p !== undefined) decoded.parameters = p;
  const outputs = requestedOutputs(doc.outputs);
  if (outputs !== undefined) decoded.outputs = outputs;
  return { rows, decoded };
}

/**
 * Raw-field routes (docs/features.md#serving-raw-requests, docs/skew.md):
 *   POST /v2/models/{m}[/versions/{v}]/infer-raw   raw fields → the version's feature set → /infer's core
 *   GET  /v2/models/{m}[/versions/{v}]/skew        training vs served features, and drift windows
 * A raw request runs through inferRaw (../raw-request.ts), as gRPC's ModelInferRaw does; this
 * route only reads the JSON body and answers as /infer would.
 */
export function registerRawRoutes(app: FastifyInstance, o: RawRouteOptions): void {
  const { features } = o;

  modelRoute(app, 'POST', '/infer-raw', async ({ model, version }, request, reply) => {
    const { rows, decoded } = parseRawBody(request.body, o.maxJsonDepth);
    const response = await inferRaw(o, {
      ...decoded, model, rows,
      ...(version !== undefined ? { version } : {}),
      ...(request.principal !== undefined ? { principal: request.principal } : {}),
    });
    const encoded = encodeInferResponse(decoded, response);
    reply.header('content-type', encoded.contentType);
    if (encoded.headerLength !== undefined) reply.header('inference-header-content-length', String(encoded.headerLength));
    const payload = encoded.body;
    return typeof payload === 'string' ? reply.send(payload) : reply.send(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
  });

  modelRoute(app, 'GET', '/skew', async ({ model, version }) => {
    const target = o.resolve(model, version);
    const served = await features.forVersion({ model, version: target.version, generation: target.generation, signature: target.signature });
    const reports = served.reports();
    if (reports === undefined) throw new ServingError('FEATURES_NOT_CONFIGURED', served.statsProblem ?? `model '${model}' version ${target.version} has no skew monitor`);
    return {
      model,
      version: String(target.version),
      feature_set: served.featureSet.spec.name,
      schema_hash: served.featureSet.schemaHash,
      unwatched: served.unwatched,
      skew: reports.skew,
      drift: reports.drift,
    };
  });
}
