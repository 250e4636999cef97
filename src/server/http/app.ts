import Fastify from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { TlsMaterial } from '../../auth/index.js';
import { ServingError } from '../../errors/index.js';
import { registerBodyParser } from './body.js';
import { logError, sendError, toWireError } from './errors.js';

export interface BaseAppOptions {
  logger: Logger;
  limits: { maxBodyBytes: number; requestTimeoutMs: number; logRequests?: boolean };
  /** Longest URL parameter, in characters as sent (percent-encoded). */
  maxParamLength: number;
  https?: TlsMaterial['https'];
  /** Named in the ROUTE_NOT_FOUND message, e.g. docs/rest-api.md. */
  docsPage: string;
}

export interface BaseApp {
  app: FastifyInstance;
  /** True from the moment close() (or app.close()) starts. */
  isClosing(): boolean;
  /** Resolves with the bound port (useful with port 0). host defaults to 127.0.0.1. */
  listen(port: number, host?: string): Promise<{ port: number }>;
  close(): Promise<void>;
}

/**
 * The fastify app every Skein HTTP server starts from: limits, the raw-bytes body parser, the one
 * error mapping ({error, code} with the table's status, fastify's own errors included), a coded
 * 404, and listen/close. Servers add their hooks and routes on top.
 */
export function createBaseApp(options: BaseAppOptions): BaseApp {
  const { limits } = options;
  let closing = false;
  const app = Fastify({
    ...(options.https ? { https: options.https } : {}),
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: limits.maxBodyBytes,
    requestTimeout: limits.requestTimeoutMs,
    disableRequestLogging: limits.logRequests !== true,
    // Servers refuse requests during a drain themselves, with a coded body instead of fastify's.
    return503OnClosing: false,
    routerOptions: { maxParamLength: options.maxParamLength },
    requestIdHeader: false,
    // fastify binds a pino child logger (reqId) to every request; at tens of thousands of
    // requests per second that costs more than a lookup. Without request logging the server's
    // own logger serves, and error lines carry reqId explicitly (logError).
    ...(limits.logRequests === true ? {} : { childLoggerFactory: (logger: FastifyBaseLogger) => logger }),
    frameworkErrors: (err, request, reply) => {
      const error = toWireError(err, limits.maxBodyBytes);
      logError(request.log, err, error, request.id);
      void sendError(reply, error);
    },
  });
  app.addHook('preClose', async () => {
    closing = true;
  });
  registerBodyParser(app, limits.maxBodyBytes);
  app.setErrorHandler((err, request, reply) => {
    const error = toWireError(err, limits.maxBodyBytes);
    logError(request.log, err, error, request.id);
    return sendError(reply, error);
  });
  app.setNotFoundHandler((_request, reply) =>
    sendError(reply, new ServingError('ROUTE_NOT_FOUND', `no route for this method and path; see ${options.docsPage}`)),
  );
  return {
    app,
    isClosing: () => closing,
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

/** GET /metrics: the Prometheus text of the given registry. */
export function registerMetricsRoute(app: FastifyInstance, metrics: { contentType: string; render(): Promise<string> }): void {
  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.render();
    return reply.header('content-type', metrics.contentType).send(text);
  });
}
