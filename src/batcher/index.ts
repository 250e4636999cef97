export type * from './types.js';
export { createBatcher } from './batcher.js';
