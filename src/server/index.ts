export { createHttpServer } from './http/server.js';
export type { HttpServer, HttpServerOptions, HttpLimits } from './http/server.js';
export { startServer } from './serve.js';
export type { RunningServer, StartOptions } from './serve.js';
