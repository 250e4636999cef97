import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ServingError } from '../../errors/index.js';
import type { LookupService } from '../../offline/index.js';
import { createBaseApp, registerMetricsRoute } from './app.js';
import { parseJsonObject } from './body.js';
import { sendError } from './errors.js';
import { checkModelName } from './names.js';

export interface LookupRouteLimits {
  maxJsonDepth: number;
}

/**
 * Lookups of precomputed predictions:
 *   GET  /v2/predictions/{set}/{key}      one key (percent-encoded in the path)
 *   POST /v2/predictions/{set}/lookup     {"keys": [...]} → one result per key, in order
 * Set names follow the model name rules; keys, counts and unknown sets are checked by the lookup
 * service, and every failure is a ServingError for the server's error handler.
 */
export function registerLookupRoutes(app: FastifyInstance, lookup: LookupService, limits: LookupRouteLimits): void {
  app.get('/v2/predictions/:set/:key', async (request) => {
    const { set, key } = request.params as { set?: string; key?: string };
    const result = await lookup.lookup(checkModelName(set ?? ''), [key ?? '']);
    const row = result.results[0];
    if (row === undefined) throw new ServingError('INTERNAL', 'internal error', { cause: 'lookup returned no row for one key' });
    const { results: _rows, ...head } = result;
    return { ...head, key: row.key, value: row.value, default: row.default };
  });

  app.post('/v2/predictions/:set/lookup', async (request) => {
    const set = checkModelName((request.params as { set?: string }).set ?? '');
    const body = parseJsonObject(request.body, limits.maxJsonDepth);
    for (const field of Object.keys(body)) {
      if (field !== 'keys') throw new ServingError('INVALID_REQUEST', 'the lookup body takes only "keys" (a list of strings)');
    }
    if (!Array.isArray(body.keys)) throw new ServingError('INVALID_REQUEST', 'the lookup body must be {"keys": [...]} with a list of strings');
    return lookup.lookup(set, body.keys);
  });
}

export interface LookupHttpServerOptions {
  lookup: LookupService;
  metrics: { contentType: string; render(): Promise<string> };
  logger: Logger;
  limits: LookupRouteLimits & { maxBodyBytes: number; requestTimeoutMs: number; logRequests?: boolean };
}

export interface LookupHttpServer {
  app: FastifyInstance;
  listen(port: number, host?: string): Promise<{ port: number }>;
  close(): Promise<void>;
}

/** A URL segment long enough for a 256-character key, every UTF-8 byte percent-encoded. */
const MAX_KEY_PARAM_LENGTH = 256 * 4 * 3;

/** `skein lookup`: health, lookups and /metrics only, with the main server's error mapping. */
export function createLookupHttpServer(options: LookupHttpServerOptions): LookupHttpServer {
  const { limits } = options;
  const base = createBaseApp({ logger: options.logger, limits, maxParamLength: MAX_KEY_PARAM_LENGTH, docsPage: 'docs/offline.md' });
  const { app } = base;
  app.get('/v2/health/live', async () => ({ live: true }));
  app.get('/v2/health/ready', async (_request, reply) => {
    if (!base.isClosing()) return { ready: true };
    return sendError(reply, new ServingError('SHUTTING_DOWN', 'the server is shutting down'), { ready: false });
  });
  registerLookupRoutes(app, options.lookup, limits);
  registerMetricsRoute(app, options.metrics);
  return { app, listen: base.listen, close: base.close };
}
