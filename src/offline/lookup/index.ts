export { createLookupService } from './service.js';
export { DEFAULT_MAX_MERGED_KEYS } from './merge.js';
export type { LookupResult, LookupResultRow, LookupService, LookupServiceOptions } from './types.js';
