import { ServingError, isServingError } from '../errors/index.js';
import type { AssembledBatch, FeatureServing, ServedFeatures } from '../features/index.js';
import type { InferenceService, InferRequest, InferResponse, PrepareTarget } from '../serving/index.js';

/**
 * Raw-field inference, the part both transports share: REST's POST …/infer-raw
 * (http/raw-routes.ts) and gRPC's skein.features.RawInference/ModelInferRaw (grpc/raw.ts). Each
 * transport only decodes its request into a RawInferRequest and encodes the answer as its
 * ModelInfer / /infer answer, so both check, assemble, count and answer the same.
 *
 * Raw requests go through the same service as /infer, traffic rules included: the inputs are
 * assembled by `prepare` once the core knows which version answers (an experiment arm, a canary,
 * a cascade stage, a fallback), so every version gets the features it was trained with.
 */
export interface RawInference {
  /** The serving core (or the traffic layer wrapping it). */
  service: InferenceService;
  features: FeatureServing;
}

/** An inference request whose inputs are raw rows: InferRequest without `inputs` and `prepare`. */
export type RawInferRequest = Omit<InferRequest, 'inputs' | 'prepare'> & { rows: readonly unknown[] };

/** The rows of a raw request: a non-empty list (each row is checked by its feature set). */
export function checkRawRows(rows: unknown): unknown[] {
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new ServingError('INVALID_RAW_INPUT', '"rows" must be a non-empty list of objects of raw fields');
  }
  return rows;
}

const keyOf = (model: string, version: number | string): string => `${model}\u0000${version}`;

/**
 * Runs a raw request. The answer is the service's, plus `feature_set`, `schema_hash` and
 * `features_missing` in its parameters when a version assembled features for it (a default
 * fallback uses none). Every version that assembled is counted in skein_raw_requests_total.
 */
export async function inferRaw(o: RawInference, request: RawInferRequest): Promise<InferResponse> {
  const { features } = o;
  const { rows, ...rest } = request;
  const assembled = new Map<string, { served: ServedFeatures; batch: AssembledBatch }>();
  const tried = new Set<string>();
  const prepare = async (t: PrepareTarget) => {
    tried.add(keyOf(t.model, t.version));
    const served = await features.forVersion({ model: t.model, version: t.version, generation: t.generation, signature: t.signature });
    const batch = await served.assembler.assemble(rows);
    assembled.set(keyOf(t.model, t.version), { served, batch });
    return batch.tensors;
  };
  let response: InferResponse;
  try {
    response = await o.service.infer({ ...rest, inputs: [], prepare });
  } catch (err) {
    for (const key of tried) {
      const [m, v] = key.split('\u0000') as [string, string];
      features.countRaw(m, v, isServingError(err) ? err.code : 'INTERNAL');
    }
    throw err;
  }
  // The version that answered (a cascade names its stage's model); a default fallback used no features.
  const answeredModel = typeof response.parameters?.cascade_model === 'string' ? response.parameters.cascade_model : response.model_name;
  const answeredVersion = typeof response.parameters?.cascade_version === 'string' ? response.parameters.cascade_version : response.model_version;
  const used = assembled.get(keyOf(answeredModel, answeredVersion));
  if (used === undefined) return response;
  // Vectors are built on first read: only a version with a skew monitor pays for them.
  used.served.observe(used.batch, response.outputs);
  features.countRaw(answeredModel, answeredVersion, 'ok');
  const set = used.served.featureSet;
  return {
    ...response,
    parameters: { ...response.parameters, feature_set: set.spec.name, schema_hash: set.schemaHash, features_missing: used.batch.missing },
  };
}
