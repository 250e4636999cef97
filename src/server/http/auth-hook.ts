import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Action, Guard } from '../../auth/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller's id (`key:<id>`, `token:<sub>`), set by the auth hook. */
    principal?: string;
  }
}

const HEALTH_ROUTES: ReadonlySet<string> = new Set(['/v2/health/live', '/v2/health/ready']);
const METADATA_ROUTES: ReadonlySet<string> = new Set(['/v2', '/v2/models', '/v2/models/stats', '/metrics']);

/**
 * The action a request performs, from its matched route pattern (not the raw URL, so encoded
 * paths cannot dodge the mapping). Fails closed: a registered route this table does not know
 * needs `admin`; an unmatched path needs any valid credential, so anonymous callers learn
 * nothing from 404s.
 */
export function actionOf(request: FastifyRequest): Action {
  const route = request.routeOptions.url;
  if (route === undefined) return { kind: 'metadata' };
  if (HEALTH_ROUTES.has(route)) return { kind: 'health' };
  if (METADATA_ROUTES.has(route)) return { kind: 'metadata' };
  if (route.startsWith('/v2/repository/')) return { kind: 'admin' };
  if (route === '/v2/feedback' && request.method === 'POST') return { kind: 'feedback' };
  // Experiment reports and rollout state are read like metadata; rollout commands are admin.
  if ((route.startsWith('/v2/experiments') || route.startsWith('/v2/rollouts')) && (request.method === 'GET' || request.method === 'HEAD')) return { kind: 'metadata' };
  if (route.startsWith('/v2/models/:model')) {
    const model = (request.params as { model?: unknown }).model;
    if (typeof model !== 'string') return { kind: 'admin' };
    // Raw fields are predictions too: infer-raw needs `infer:<model>` (its skew report is a GET: metadata).
    if (request.method === 'POST' && (route.endsWith('/infer') || route.endsWith('/infer-raw'))) return { kind: 'infer', model };
    if (request.method === 'GET' || request.method === 'HEAD') return { kind: 'metadata', model };
  }
  // Precomputed predictions are predictions: reading a set needs `infer:<set>`.
  if (route.startsWith('/v2/predictions/:set')) {
    const set = (request.params as { set?: unknown }).set;
    if (typeof set === 'string') return { kind: 'infer', model: set };
  }
  return { kind: 'admin' };
}

/**
 * Checks every request before its body is read. Errors (UNAUTHENTICATED, FORBIDDEN,
 * RATE_LIMITED) go to the server's error handler, which maps codes and sets Retry-After.
 */
export function installAuth(app: FastifyInstance, guard: Guard): void {
  if (!guard.enabled) return;
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    const { authorization } = request.headers;
    const apiKey = request.headers['x-api-key'];
    const principal = await guard.check({ authorization, 'x-api-key': apiKey }, actionOf(request));
    if (principal) request.principal = principal.id;
  });
}
