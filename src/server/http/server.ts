import Fastify from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Guard, TlsMaterial } from '../../auth/index.js';
import type { LookupService } from '../../offline/index.js';
import { registerLookupRoutes } from './lookup-routes.js';
import { ServingError } from '../../errors/index.js';
import type { InferenceService } from '../../serving/index.js';
import { installAuth } from './auth-hook.js';
import { registerBodyParser } from './body.js';
import { logError, sendError, toWireError } from './errors.js';
import { registerInferRoute } from './infer-route.js';
import { registerModelRoutes } from './model-routes.js';
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
  let closing = false;

  const app = Fastify({
    ...(options.https ? { https: options.https } : {}),
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: limits.maxBodyBytes,
    requestTimeout: limits.requestTimeoutMs,
    disableRequestLogging: limits.logRequests !== true,
    // Our own closing check below answers with a coded body instead of fastify's.
    return503OnClosing: false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    requestIdHeader: false,
    frameworkErrors: (err, request, reply) => {
      const error = toWireError(err, limits.maxBodyBytes);
      logError(request.log, err, error);
      void sendError(reply, error);
    },
  });

  // Callback style: no promise per request on the hot path.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // Health answers during a drain so probes see ready=false rather than a refused request.
    if (closing && !request.url.startsWith('/v2/health/')) {
      done(new ServingError('SHUTTING_DOWN', 'the server is shutting down; retry on another replica'));
      return;
    }
    done();
  });
  // A disabled guard allows everything: no hook, so open servers pay nothing per request.
  if (options.guard?.enabled) installAuth(app, options.guard);
  app.addHook('preClose', async () => {
    closing = true;
  });

  registerBodyParser(app, limits.maxBodyBytes);
  app.setErrorHandler((err, request, reply) => {
    const error = toWireError(err, limits.maxBodyBytes);
    logError(request.log, err, error);
    return sendError(reply, error);
  });
  app.setNotFoundHandler((_request, reply) =>
    sendError(reply, new ServingError('ROUTE_NOT_FOUND', 'no route for this method and path; see docs/rest-api.md')),
  );

  registerModelRoutes(app, service);
  registerInferRoute(app, service, limits);
  registerRepositoryRoutes(app, { service, modelControl: options.modelControl, maxJsonDepth: limits.maxJsonDepth });
  if (options.lookup) registerLookupRoutes(app, options.lookup, { maxJsonDepth: limits.maxJsonDepth });
  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.render();
    return reply.header('content-type', metrics.contentType).send(text);
  });

  return {
    app,
    async listen(port, host = '127.0.0.1') {
      await app.listen({ port, host });
      const address = app.server.address();
      if (address === null || typeof address === 'string') throw new Error('server has no TCP address after listen');
      return { port: address.port };
    },
    async close() {
      closing = true;
      await app.close();
    },
  };
}
