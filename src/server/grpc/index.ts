export { createGrpcServer } from './server.js';
export type { GrpcServer, GrpcServerOptions, GrpcLimits } from './server.js';
export { loadGrpcDefinitions, protoDirectory, PROTO_LOADER_OPTIONS } from './proto.js';
export type { GrpcDefinitions } from './proto.js';
export { ERROR_CODE_METADATA_KEY } from './status.js';
export { addLookupService, loadLookupDefinition } from './lookup.js';
export { loadRawInferenceDefinition } from './raw.js';
