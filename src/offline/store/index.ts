export { createPredictionStore } from './create.js';
export { hasPublishedLookup } from './store.js';
export type { LookupStore, PublishedLookup, StoreOptions } from './store.js';
export { checkKey, checkRunId, checkSetName, MAX_KEY_LENGTH } from './names.js';
export { SqlitePredictionStore } from './sqlite.js';
export { PostgresPredictionStore } from './postgres.js';
export { RedisPredictionStore } from './redis.js';
export { setNotFound } from './lifecycle.js';
