export { createFeatureStore } from './create.js';
export { SqliteFeatureStore } from './sqlite.js';
export { RedisFeatureStore } from './redis.js';
export { FEATURE_STORE_BATCH_MAX } from './types.js';
export type { EntityRecord, EntityUpdate, FeatureStore, FeatureStoreOptions, PutResult } from './types.js';
