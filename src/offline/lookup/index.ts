export { createLookupService } from './service.js';
export type { LookupResult, LookupResultRow, LookupService, LookupServiceOptions } from './types.js';
