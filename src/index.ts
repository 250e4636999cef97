/**
 * Skein's public API. Import from 'skein':
 *   import { startServer, parseServerConfig, createRestClient } from 'skein';
 */
export { startServer } from './server/index.js';
export type { RunningServer, StartOptions } from './server/index.js';
export { parseServerConfig, parseModelConfig } from './config/index.js';
export type { ServerConfig, ModelConfig } from './config/index.js';
export { createRestClient, createGrpcClient, InferenceClientError } from './client/index.js';
export type { InferenceClient, InferOptions, InferResult, InputTensor, RestClientOptions, GrpcClientOptions } from './client/index.js';
export { ServingError, ERROR_TABLE } from './errors/index.js';
export type { ErrorCode } from './errors/index.js';
export { createGraphBuilder } from './builder/index.js';
export type { DataType, Tensor, TensorSpec, Signature } from './tensor/index.js';
export type { InferRequest, InferResponse, InferenceService, ModelMetadata } from './serving/index.js';
export { createGrpcServer } from './server/index.js';
export { createGuard, generateApiKey, hashApiKey } from './auth/index.js';
export type { Guard, AuthOptions, Principal, Action } from './auth/index.js';
export { createKeyring, pseudonymousId, verifyPseudonymousId, redactString } from './privacy/index.js';
export type { Keyring, KeyringOptions } from './privacy/index.js';
