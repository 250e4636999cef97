import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ServingError } from '../../errors/index.js';
import type { InferenceService, ModelStatistics } from '../../serving/index.js';
import { sendError } from './errors.js';
import { targetOf } from './names.js';
import type { ModelTarget } from './names.js';

type TargetHandler = (target: ModelTarget, request: FastifyRequest, reply: FastifyReply) => unknown;

/** Registers `/v2/models/:model<suffix>` and `/v2/models/:model/versions/:version<suffix>`. */
export function modelRoute(app: FastifyInstance, method: 'GET' | 'POST', suffix: string, handler: TargetHandler): void {
  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> =>
    handler(targetOf(request.params), request, reply);
  app.route({ method, url: `/v2/models/:model${suffix}`, handler: handle });
  app.route({ method, url: `/v2/models/:model/versions/:version${suffix}`, handler: handle });
}

/** Health, metadata, config and statistics: thin reads of the service. */
export function registerModelRoutes(app: FastifyInstance, service: InferenceService): void {
  app.get('/v2/health/live', async (_request, reply) => {
    if (service.live()) return { live: true };
    return sendError(reply, new ServingError('SHUTTING_DOWN', 'the server is not live'), { live: false });
  });
  app.get('/v2/health/ready', async (_request, reply) => {
    if (service.ready()) return { ready: true };
    const error = new ServingError('MODEL_NOT_READY', 'the server is not ready: a model is still loading or has failed, or the server is draining');
    return sendError(reply, error, { ready: false });
  });
  app.get('/v2', async () => service.serverMetadata());

  // Static segments win over `:model` in the router, so these two never reach the model routes.
  app.get('/v2/models', async () => ({ models: listModels(service) }));
  app.get('/v2/models/stats', async () => ({ model_stats: service.statistics() satisfies ModelStatistics[] }));

  modelRoute(app, 'GET', '', ({ model, version }) => service.modelMetadata(model, version));
  modelRoute(app, 'GET', '/ready', ({ model, version }, _request, reply) => {
    if (service.modelReady(model, version)) return { name: model, ready: true };
    const error = new ServingError('MODEL_NOT_READY', 'no version of the model is ready yet; retry later');
    return sendError(reply, error, { name: model, ready: false });
  });
  modelRoute(app, 'GET', '/config', ({ model, version }) => service.modelConfig(model, version));
  modelRoute(app, 'GET', '/stats', ({ model, version }) => ({ model_stats: service.statistics(model, version) }));
}

type ModelState = 'ready' | 'loading' | 'unloading' | 'failed' | 'unloaded';

/** One row per model, its versions in index order, and the most useful state among them. */
function listModels(service: InferenceService): { name: string; versions: string[]; state: ModelState }[] {
  const byName = new Map<string, { name: string; versions: string[]; states: Set<ModelState> }>();
  for (const entry of service.repositoryIndex()) {
    let row = byName.get(entry.name);
    if (row === undefined) {
      row = { name: entry.name, versions: [], states: new Set() };
      byName.set(entry.name, row);
    }
    row.versions.push(entry.version);
    row.states.add(entry.state);
  }
  const precedence: ModelState[] = ['ready', 'loading', 'unloading', 'failed', 'unloaded'];
  return [...byName.values()].map(({ name, versions, states }) => ({
    name,
    versions,
    state: precedence.find((s) => states.has(s)) ?? 'unloaded',
  }));
}
