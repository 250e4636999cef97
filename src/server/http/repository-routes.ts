import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ServingError } from '../../errors/index.js';
import { TRITON_STATE_OF, type InferenceService } from '../../serving/index.js';
import { parseJsonObject } from './body.js';
import { checkModelName } from './names.js';

export interface RepositoryRouteOptions {
  service: InferenceService;
  modelControl: boolean;
  maxJsonDepth: number;
}

/** Triton's model_repository extension: index, load, unload. */
export function registerRepositoryRoutes(app: FastifyInstance, options: RepositoryRouteOptions): void {
  const { service, modelControl, maxJsonDepth } = options;

  app.post('/v2/repository/index', async (request) => {
    const { ready } = parseJsonObject(request.body, maxJsonDepth);
    if (ready !== undefined && typeof ready !== 'boolean') {
      throw new ServingError('INVALID_REQUEST', '"ready" must be true or false');
    }
    const entries = service.repositoryIndex().filter((e) => ready !== true || e.state === 'ready');
    return entries.map((e) => ({
      name: e.name,
      version: e.version,
      state: TRITON_STATE_OF[e.state],
      reason: e.reason ?? '',
      ...(e.labels === undefined ? {} : { labels: e.labels }),
    }));
  });

  const controlled = (action: (model: string, request: FastifyRequest) => Promise<void>) =>
    async (request: FastifyRequest): Promise<Record<string, never>> => {
      // Checked here as well as in the service so a disabled server reads no body and touches nothing.
      if (!modelControl) {
        throw new ServingError('CONTROL_DISABLED', 'load and unload need --model-control-mode explicit');
      }
      const model = checkModelName((request.params as { model?: string }).model ?? '');
      await action(model, request);
      return {};
    };

  app.post('/v2/repository/models/:model/load', controlled(async (model, request) => {
    rejectParameters(parseJsonObject(request.body, maxJsonDepth), [], 'load');
    await service.loadModel(model);
  }));
  app.post('/v2/repository/models/:model/unload', controlled(async (model, request) => {
    // Skein models have no dependents, so unload_dependents changes nothing and is accepted.
    rejectParameters(parseJsonObject(request.body, maxJsonDepth), ['unload_dependents'], 'unload');
    await service.unloadModel(model);
  }));
}

/**
 * Triton lets a load carry a config or model files inline; Skein loads only what is in the
 * repository, so such parameters are refused rather than silently ignored.
 */
function rejectParameters(body: Record<string, unknown>, allowed: string[], action: string): void {
  const { parameters } = body;
  if (parameters === undefined) return;
  if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) {
    throw new ServingError('INVALID_REQUEST', '"parameters" must be a JSON object');
  }
  for (const key of Object.keys(parameters)) {
    if (!allowed.includes(key)) {
      throw new ServingError(
        'UNSUPPORTED',
        `${action} accepts no parameters other than [${allowed.join(', ')}]; put the model and its config.yaml in the repository`,
      );
    }
  }
}
