export type * from './types.js';
export { createGuard, authorize } from './guard.js';
export type { GuardDependencies } from './guard.js';
export { hashApiKey, generateApiKey } from './api-keys.js';
export { createMemoryRateLimiter, DEFAULT_MAX_TRACKED_PRINCIPALS } from './rate-limit.js';
export type { MemoryRateLimiterOptions } from './rate-limit.js';
export { loadTls } from './tls.js';
export type { TlsOptions, TlsMaterial } from './tls.js';
