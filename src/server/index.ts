export { createHttpServer } from './http/server.js';
export type { HttpServer, HttpServerOptions, HttpLimits } from './http/server.js';
export { startServer } from './serve.js';
export type { RunningServer, StartOptions } from './serve.js';
export { createGrpcServer } from './grpc/index.js';
export type { GrpcServer, GrpcServerOptions, GrpcLimits } from './grpc/index.js';
export { registerLookupRoutes, createLookupHttpServer } from './http/lookup-routes.js';
export type { LookupRouteLimits, LookupHttpServer, LookupHttpServerOptions } from './http/lookup-routes.js';
