export { createRestClient } from './rest-client.js';
export type { RestClientOptions } from './rest-client.js';
export { createGrpcClient } from './grpc-client.js';
export type { GrpcClientOptions } from './grpc-client.js';
export { InferenceClientError } from './types.js';
export type { InferenceClient, InferOptions, InferResult, InputTensor } from './types.js';
