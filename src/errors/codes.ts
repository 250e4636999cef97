/**
 * The closed list of error codes Skein answers with, and the one table that maps each code to
 * its HTTP status and gRPC status. A code without a row does not compile.
 * docs/errors.md is generated from this table (`npm run docs:errors`).
 */

/** gRPC status names (google.rpc.Code); numbers in GRPC_STATUS_NUMBER. */
export type GrpcStatus =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'UNAVAILABLE'
  | 'RESOURCE_EXHAUSTED'
  | 'DEADLINE_EXCEEDED'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'UNIMPLEMENTED'
  | 'FAILED_PRECONDITION'
  | 'INTERNAL';

export const GRPC_STATUS_NUMBER: Record<GrpcStatus, number> = {
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
};

interface CodeRow {
  http: number;
  grpc: GrpcStatus;
  /** One sentence for docs/errors.md: when a caller gets this code and what to do. */
  meaning: string;
}

export const ERROR_TABLE = {
  // Request decoding
  INVALID_JSON: { http: 400, grpc: 'INVALID_ARGUMENT', meaning: 'The body (or the JSON header of a binary request) is not valid JSON. Send a JSON object.' },
  JSON_TOO_DEEP: { http: 400, grpc: 'INVALID_ARGUMENT', meaning: 'The JSON nests deeper than maxJsonDepth. Flatten `data` (flat row-major data is accepted).' },
  BODY_TOO_LARGE: { http: 413, grpc: 'RESOURCE_EXHAUSTED', meaning: 'The body (after decompression) is larger than --max-body-bytes. Send smaller batches.' },
  UNSUPPORTED_ENCODING: { http: 415, grpc: 'INVALID_ARGUMENT', meaning: 'Content-Encoding is not identity, gzip or deflate, or the compressed body is corrupt.' },
  INVALID_REQUEST: { http: 400, grpc: 'INVALID_ARGUMENT', meaning: 'The request does not have the Open Inference Protocol shape (for example `inputs` is not a list).' },
  INVALID_BINARY_HEADER: { http: 400, grpc: 'INVALID_ARGUMENT', meaning: 'Inference-Header-Content-Length is negative, not an integer, or longer than the body.' },
  BINARY_SIZE_MISMATCH: { http: 400, grpc: 'INVALID_ARGUMENT', meaning: 'binary_data_size does not equal the shape’s element count × element size, or the binary part has bytes left over.' },
  // Tensor validation against the signature
  UNKNOWN_INPUT: { http: 400, grpc: 'INVALID_ARGUMENT', meaning: 'The request names an input the model does not have. See GET /v2/models/{m} for its inputs.' },
  MISSING_INPUT: { http: 400, grpc: 'INVALID_ARGUMENT', meaning: 'An input the model needs is absent.' },
  DUPLICATE_INPUT: { http: 400, grpc: 'INVALID_ARGUMENT', meaning: 'The same input name appears twice.' },
  UNKNOWN_OUTPUT: { http: 400, grpc: 'INVALID_ARGUMENT', meaning: 'A requested output is not one the model produces.' },
  INVALID_DATATYPE: { http: 400, grpc: 'INVALID_ARGUMENT', meaning: 'The datatype is not an OIP datatype, does not match the model’s, or has no JSON form (FP16, BF16: send binary).' },
  INVALID_SHAPE: { http: 400, grpc: 'INVALID_ARGUMENT', meaning: 'A shape dimension is negative or not an integer, or the shape does not fit the model’s signature.' },
  TOO_MANY_ELEMENTS: { http: 400, grpc: 'INVALID_ARGUMENT', meaning: 'The tensor has more elements than maxTensorElements, or a batch larger than the model’s maxBatchSize.' },
  DATA_LENGTH_MISMATCH: { http: 400, grpc: 'INVALID_ARGUMENT', meaning: 'The number of data values does not equal the product of the shape.' },
  INVALID_DATA: { http: 400, grpc: 'INVALID_ARGUMENT', meaning: 'A value is not of the declared type (for example a string for FP32, or a number for BOOL).' },
  VALUE_OUT_OF_RANGE: { http: 400, grpc: 'INVALID_ARGUMENT', meaning: 'An integer does not fit the declared datatype (for example 300 for UINT8).' },
  // Names and routing
  INVALID_MODEL_NAME: { http: 400, grpc: 'INVALID_ARGUMENT', meaning: 'A model name or version contains `..`, `/`, `\\`, NUL or other characters outside [A-Za-z0-9_.-].' },
  MODEL_NOT_FOUND: { http: 404, grpc: 'NOT_FOUND', meaning: 'No model of that name is in the repository.' },
  VERSION_NOT_FOUND: { http: 404, grpc: 'NOT_FOUND', meaning: 'The model has no ready version of that number or label.' },
  MODEL_NOT_READY: { http: 503, grpc: 'UNAVAILABLE', meaning: 'The model exists but no version is ready yet (loading, or every version failed). Retry later.' },
  ROUTE_NOT_FOUND: { http: 404, grpc: 'UNIMPLEMENTED', meaning: 'No such route. See docs/rest-api.md.' },
  // Scheduling
  QUEUE_FULL: { http: 503, grpc: 'UNAVAILABLE', meaning: 'The version’s queue holds maxQueueSize requests. Back off and retry (Retry-After is set).' },
  DEADLINE_EXCEEDED: { http: 504, grpc: 'DEADLINE_EXCEEDED', meaning: 'The request’s timeout passed before it ran; it was never executed.' },
  SHUTTING_DOWN: { http: 503, grpc: 'UNAVAILABLE', meaning: 'The server is draining after SIGTERM and takes no new requests. Retry on another replica.' },
  // Access
  UNAUTHENTICATED: { http: 401, grpc: 'UNAUTHENTICATED', meaning: 'No credential, or an invalid, expired or revoked one. Send `Authorization: Bearer <token>` or `x-api-key` (gRPC: the same metadata).' },
  FORBIDDEN: { http: 403, grpc: 'PERMISSION_DENIED', meaning: 'The credential is valid but lacks the scope for this route (for example `infer:<model>` or `admin`).' },
  RATE_LIMITED: { http: 429, grpc: 'RESOURCE_EXHAUSTED', meaning: 'This credential sent more requests than its rate limit allows. Wait for Retry-After seconds.' },
  // Repository and lifecycle
  MODEL_LOAD_FAILED: { http: 400, grpc: 'INVALID_ARGUMENT', meaning: 'A version failed to load or warm up; the reason is in the repository index and logs.' },
  INVALID_CONFIG: { http: 400, grpc: 'INVALID_ARGUMENT', meaning: 'A config file or option is invalid; the message names the key.' },
  CONTROL_DISABLED: { http: 403, grpc: 'FAILED_PRECONDITION', meaning: 'Load and unload need --model-control-mode explicit.' },
  // Offline serving: prediction sets, runs and batch jobs
  SET_NOT_FOUND: { http: 404, grpc: 'NOT_FOUND', meaning: 'No run of that prediction set is published. Publish one with `skein predictions publish`.' },
  RUN_NOT_FOUND: { http: 404, grpc: 'NOT_FOUND', meaning: 'No run of that id in the prediction set (or nothing to roll back to). See `skein predictions list`.' },
  RUN_NOT_PUBLISHABLE: { http: 409, grpc: 'FAILED_PRECONDITION', meaning: 'The run is still writing, or failed (or skipped) its validation gate. Fix it, or publish with --force (recorded).' },
  RUN_NOT_WRITABLE: { http: 409, grpc: 'FAILED_PRECONDITION', meaning: 'The run is complete and takes no more chunks. Start a new run id.' },
  INPUT_INVALID: { http: 400, grpc: 'INVALID_ARGUMENT', meaning: 'A batch job’s input file is corrupt; the message gives the line or row.' },
  STORE_UNAVAILABLE: { http: 503, grpc: 'UNAVAILABLE', meaning: 'The prediction store stayed unreachable through every retry. Nothing was published; resume the job with the same --run.' },
  // Traffic: labels, experiments, rollouts, feedback
  LABEL_TARGET_NOT_READY: { http: 409, grpc: 'FAILED_PRECONDITION', meaning: 'A label may point only at a loaded, ready version. Load the version first, then move the label.' },
  EXPERIMENT_NOT_FOUND: { http: 404, grpc: 'NOT_FOUND', meaning: 'No experiment of that name is declared in the traffic config. See GET /v2/experiments.' },
  ROLLOUT_NOT_FOUND: { http: 404, grpc: 'NOT_FOUND', meaning: 'The model has no canary rollout declared in the traffic config. See GET /v2/rollouts.' },
  ROLLOUT_CONFLICT: { http: 409, grpc: 'FAILED_PRECONDITION', meaning: 'The rollout is not in a state that allows this action (for example promoting a rolled-back rollout). Read its state, then restart it.' },
  PREDICTION_NOT_FOUND: { http: 404, grpc: 'NOT_FOUND', meaning: 'Feedback names a prediction id this server never issued, or one older than the prediction retention. Send the prediction_id from the reply’s parameters.' },
  INVALID_FEEDBACK: { http: 400, grpc: 'INVALID_ARGUMENT', meaning: 'A feedback event is malformed (unknown type, missing prediction_id, negative value); the message names the event and field. Nothing of the batch was counted.' },
  CIRCUIT_OPEN: { http: 503, grpc: 'UNAVAILABLE', meaning: 'The version failed repeatedly and its circuit breaker is open; no fallback was configured or every fallback failed. Retry after Retry-After.' },
  // Features
  FEATURES_NOT_CONFIGURED: { http: 400, grpc: 'FAILED_PRECONDITION', meaning: 'Raw-field requests need a feature set beside the model version (features.json). Send OIP tensors instead, or publish the version with its feature set.' },
  INVALID_RAW_INPUT: { http: 400, grpc: 'INVALID_ARGUMENT', meaning: 'A raw field is missing, of the wrong type or too long; the message names the field and what the feature set expects.' },
  INVALID_FEATURE_DEFINITION: { http: 400, grpc: 'INVALID_ARGUMENT', meaning: 'A feature definition is invalid (duplicate name, unknown source or transform, bad parameter); the message names the feature.' },
  // Runtime
  INFERENCE_FAILED: { http: 500, grpc: 'INTERNAL', meaning: 'The runtime raised an error while running the model. The server keeps serving.' },
  INTERNAL: { http: 500, grpc: 'INTERNAL', meaning: 'A bug in Skein. Please report it with the log line that carries the same request id.' },
  UNSUPPORTED: { http: 501, grpc: 'UNIMPLEMENTED', meaning: 'The request uses a feature this server does not implement.' },
} as const satisfies Record<string, CodeRow>;

export type ErrorCode = keyof typeof ERROR_TABLE;

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_TABLE[code].http;
}

export function grpcStatusOf(code: ErrorCode): GrpcStatus {
  return ERROR_TABLE[code].grpc;
}
