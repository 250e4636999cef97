import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Guard, TlsMaterial } from '../../auth/index.js';
import type { LookupService } from '../../offline/index.js';
import { registerLookupRoutes } from './lookup-routes.js';
import type { Traffic } from '../../traffic/index.js';
import { registerTrafficRoutes } from './traffic-routes.js';
import { ServingError } from '../../errors/index.js';
import type { InferenceService } from '../../serving/index.js';
import { installAuth } from './auth-hook.js';
import { createBaseApp, registerMetricsRoute } from './app.js';
import { registerInferRoute } from './infer-route.js';
import { registerModelRoutes } from './model-routes.js';
import { registerRawRoutes, type RawRouteOptions } from './raw-routes.js';
import { MAX_PARAM_LENGTH } from './names.js';
import { registerRepositoryRoutes } from './repository-routes.js';

export interface HttpLimits {
  /** Largest body accepted, compressed or after decompression; past it: 413 BODY_TOO_LARGE. */
  maxBodyBytes: number;
  maxJsonDepth: number;
  maxTensorElements: number;
  maxInputs: number;
  /** Time allowed to receive a whole request (node's requestTimeout); past it node answers 408. */
  requestTimeoutMs: number;
  /** fastify's per-request log lines ("incoming request", "request completed"). */
  logRequests?: boolean;
}

export interface HttpServerOptions {
  service: InferenceService;
  /** For GET /metrics. */
  metrics: { contentType: string; render(): Promise<string> };
  /** Becomes fastify's logger; request lines carry method, URL and status, never bodies. */
  logger: Logger;
  limits: HttpLimits;
  /** Whether /v2/repository/models/{m}/load and /unload are enabled (explicit control mode). */
  modelControl: boolean;
  /** Access control; without it (or with auth disabled) every route is open. */
  guard?: Guard;
  /** TLS (and mutual TLS) options from loadTls; without it the server speaks plain HTTP. */
  https?: TlsMaterial['https'];
  /** Precomputed prediction lookups served beside live models (`skein serve --predictions`). */
  lookup?: LookupService;
  /** Experiments, rollouts, feedback and label routes (`skein serve --traffic`). */
  traffic?: Traffic;
  /** Raw-field requests and skew reports of models with a feature set (/infer-raw, /skew). */
  features?: Pick<RawRouteOptions, 'features' | 'resolve'>;
}

export interface HttpServer {
  /** Resolves with the bound port (useful with port 0). host defaults to 127.0.0.1. */
  listen(port: number, host?: string): Promise<{ port: number }>;
  /**
   * Stops accepting connections and resolves once in-flight requests are answered. Requests
   * arriving on open connections meanwhile get 503 SHUTTING_DOWN. Draining the service's
   * queues is the caller's job, before this.
   */
  close(): Promise<void>;
  app: FastifyInstance;
}

/** The OIP v2 REST server (plus Triton's repository, config and statistics extensions). */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { service, metrics, limits } = options;
  const base = createBaseApp({
    logger: options.logger,
    limits,
    maxParamLength: MAX_PARAM_LENGTH,
    docsPage: 'docs/rest-api.md',
    ...(options.https ? { https: options.https } : {}),
  });
  const { app } = base;

  // Callback style: no promise per request on the hot path.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // Health answers during a drain so probes see ready=false rather than a refused request.
    if (base.isClosing() && !request.url.startsWith('/v2/health/')) {
      done(new ServingError('SHUTTING_DOWN', 'the server is shutting down; retry on another replica'));
      return;
    }
    done();
  });
  // A disabled guard allows everything: no hook, so open servers pay nothing per request.
  if (options.guard?.enabled) installAuth(app, options.guard);

  registerModelRoutes(app, service);
  registerInferRoute(app, service, limits);
  registerRepositoryRoutes(app, { service, modelControl: options.modelControl, maxJsonDepth: limits.maxJsonDepth });
  if (options.lookup) registerLookupRoutes(app, options.lookup, { maxJsonDepth: limits.maxJsonDepth });
  if (options.traffic) registerTrafficRoutes(app, options.traffic, { maxJsonDepth: limits.maxJsonDepth });
  if (options.features) registerRawRoutes(app, { ...options.features, service, maxJsonDepth: limits.maxJsonDepth });
  registerMetricsRoute(app, metrics);

  return { app, listen: base.listen, close: base.close };
}
