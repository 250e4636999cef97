import type { FastifyInstance } from 'fastify';
import { ServingError } from '../../errors/index.js';
import type { Traffic } from '../../traffic/index.js';
import { parseJsonObject } from './body.js';
import { checkModelName } from './names.js';

const COMMANDS = ['start', 'pause', 'resume', 'promote', 'rollback'] as const;
type Command = (typeof COMMANDS)[number];

/**
 * Traffic routes (docs/traffic.md):
 *   POST /v2/feedback                              events about past predictions
 *   GET  /v2/experiments                           declared experiments
 *   GET  /v2/experiments/{name}/report             per-arm KPIs, effects, significance, SRM
 *   GET  /v2/rollouts                              every rollout's state, windows, history
 *   GET  /v2/rollouts/{model}
 *   POST /v2/rollouts/{model}/{start|pause|resume|promote|rollback}   {"reason"?: "..."}
 *   GET  /v2/models/{model}/labels                 labels and the versions they name
 *   PUT  /v2/models/{model}/labels/{label}         {"version": 3}
 */
export function registerTrafficRoutes(app: FastifyInstance, traffic: Traffic, limits: { maxJsonDepth: number }): void {
  app.post('/v2/feedback', async (request) => traffic.feedback(parseJsonObject(request.body, limits.maxJsonDepth)));

  app.get('/v2/experiments', async () => ({ experiments: traffic.experiments() }));
  app.get('/v2/experiments/:name/report', async (request) => traffic.report(checkModelName((request.params as { name?: string }).name ?? '')));

  app.get('/v2/rollouts', async () => ({ rollouts: await traffic.rollouts() }));
  app.get('/v2/rollouts/:model', async (request) => traffic.rollout(checkModelName((request.params as { model?: string }).model ?? '')));
  app.post('/v2/rollouts/:model/:command', async (request) => {
    const { model, command } = request.params as { model?: string; command?: string };
    if (!COMMANDS.includes(command as Command)) {
      throw new ServingError('ROUTE_NOT_FOUND', `unknown rollout command '${command}'; use one of ${COMMANDS.join(', ')}`);
    }
    const body = parseJsonObject(request.body, limits.maxJsonDepth);
    const reason = body.reason;
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > 500)) throw new ServingError('INVALID_REQUEST', '"reason" must be a string of at most 500 characters');
    const state = await traffic.rolloutCommand(checkModelName(model ?? ''), command as Command, reason as string | undefined);
    return { model, state };
  });

  app.get('/v2/models/:model/labels', async (request) => {
    const model = checkModelName((request.params as { model?: string }).model ?? '');
    return { model, labels: traffic.labels(model) };
  });
  app.put('/v2/models/:model/labels/:label', async (request) => {
    const { model, label } = request.params as { model?: string; label?: string };
    const body = parseJsonObject(request.body, limits.maxJsonDepth);
    const version = typeof body.version === 'string' && /^[0-9]+$/.test(body.version) ? Number(body.version) : body.version;
    if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
      throw new ServingError('INVALID_REQUEST', 'the body must be {"version": <a version number>}');
    }
    return { model, labels: await traffic.setLabel(checkModelName(model ?? ''), label ?? '', version) };
  });
}
