export type * from './types.js';
export { createPredictionStore, checkKey, checkRunId, checkSetName, MAX_KEY_LENGTH, hasPublishedLookup } from './store/index.js';
export type { LookupStore, PublishedLookup, StoreOptions } from './store/index.js';
export { DEFAULT_MAX_MERGED_KEYS, createLookupService } from './lookup/index.js';
export type { LookupResult, LookupResultRow, LookupService, LookupServiceOptions } from './lookup/index.js';
export * from './batch/index.js';
export * from './gate/index.js';
