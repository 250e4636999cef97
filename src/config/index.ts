export { ModelConfigSchema, parseModelConfig, defaultModelConfig, DEFAULT_MAX_BATCH_SIZE } from './model-config.js';
export type { ModelConfig, VersionPolicy } from './model-config.js';
export { ServerConfigSchema, parseServerConfig } from './server-config.js';
export type { ServerConfig } from './server-config.js';
export { deepFreeze, parseWith, configError } from './format.js';
