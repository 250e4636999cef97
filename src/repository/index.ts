export { ModelManager } from './manager.js';
export type { ManagerOptions } from './manager.js';
export { FileSystemSource, isValidModelName, MODEL_NAME_PATTERN } from './source.js';
export type { Source, ModelSnapshot } from './source.js';
export { aspiredVersions, nextActions } from './policy.js';
export type { Action, SwapMode } from './policy.js';
export { VersionEntry, inferMaxBatchSize, zeroTensor } from './version.js';
export type { WorkInput } from './version.js';
