export type * from './types.js';
export { createInferenceService } from './service.js';
export type { ManagedService, ServiceOptions } from './service.js';
export { TRITON_STATE_OF } from './types.js';
