export { ServingMetrics } from './metrics.js';
export type { VersionMetrics } from './metrics.js';
export { createLogger } from './logger.js';
export type { Logger } from './logger.js';
export * from './drift/index.js';
