import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ERROR_TABLE, GRPC_STATUS_NUMBER, ServingError, isServingError } from '../../errors/index.js';
import type { CredentialHeaders } from '../../auth/index.js';
import { redactString } from '../../privacy/index.js';

/** Trailing metadata key that carries the Skein error code, so clients can branch on it. */
export const ERROR_CODE_METADATA_KEY = 'skein-error-code';

const RETRY_SOON: ReadonlySet<string> = new Set(['QUEUE_FULL', 'SHUTTING_DOWN', 'MODEL_NOT_READY']);

/**
 * Any failure → a gRPC status through the one ERROR_TABLE. A ServingError's message is safe to
 * send; anything else is a bug, answered INTERNAL "internal error" and logged with its cause.
 */
export function toGrpcStatus(err: unknown, log: Logger, rpc: string): grpc.ServerErrorResponse {
  const error = isServingError(err) ? err : new ServingError('INTERNAL', 'internal error');
  const status = ERROR_TABLE[error.code].grpc;
  if (status === 'INTERNAL') {
    log.error({ err, rpc, code: error.code, detail: error.detail }, 'grpc request failed');
  } else {
    log.debug({ rpc, code: error.code }, 'grpc request rejected');
  }
  const metadata = new grpc.Metadata();
  metadata.set(ERROR_CODE_METADATA_KEY, error.code);
  // The same hint REST gives in its Retry-After header, as trailing metadata.
  const retryAfterS = error.code === 'RATE_LIMITED' ? error.detail?.retryAfterS : RETRY_SOON.has(error.code) ? 1 : undefined;
  if (typeof retryAfterS === 'number') metadata.set('retry-after', String(Math.max(1, Math.ceil(retryAfterS))));
  // Messages may quote caller-chosen names (an input called like an e-mail): redact on the way out.
  const message = redactString(error.message);
  return Object.assign(new Error(message), { code: GRPC_STATUS_NUMBER[status], details: message, metadata });
}

/**
 * The credential metadata the Guard reads; gRPC metadata keys are already lower-case. A repeated
 * key is passed on as an array, which the Guard refuses, as it does a repeated REST header. Node's
 * HTTP/2 server joins repeated header values with ", " before grpc-js sees them; no API key or
 * bearer token contains a comma, so a comma means several values and is split back apart.
 */
export function credentialsOf(metadata: grpc.Metadata): CredentialHeaders {
  return { authorization: valuesOf(metadata, 'authorization'), 'x-api-key': valuesOf(metadata, 'x-api-key') };
}

function valuesOf(metadata: grpc.Metadata, key: string): string | string[] | undefined {
  const values = metadata.get(key).flatMap((v) => String(v).split(/,\s*/));
  return values.length <= 1 ? values[0] : values;
}

/**
 * How long the caller's deadline leaves, in ms; undefined when the call has none. grpc-js gives
 * deadlines as wall-clock dates, so the remaining time is measured against Date.now().
 */
export function remainingDeadlineMs(deadline: grpc.Deadline): number | undefined {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  if (!Number.isFinite(at)) return undefined;
  return at - Date.now();
}
