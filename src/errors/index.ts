export { ERROR_TABLE, GRPC_STATUS_NUMBER, httpStatusOf, grpcStatusOf } from './codes.js';
export type { ErrorCode, GrpcStatus } from './codes.js';
export { ServingError, isServingError, toServingError } from './serving-error.js';
export { renderErrorsDoc } from './doc.js';
