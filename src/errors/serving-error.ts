import type { ErrorCode } from './codes.js';

/**
 * The one error type for expected failures. `message` is safe to send to a caller: it says what
 * to fix and never holds file paths, internal names or input values. `detail` is for logs only.
 */
export class ServingError extends Error {
  readonly code: ErrorCode;
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, detail?: Record<string, unknown>) {
    super(message);
    this.name = 'ServingError';
    this.code = code;
    this.detail = detail;
  }
}

export function isServingError(err: unknown): err is ServingError {
  return err instanceof ServingError;
}

/** Wraps an unexpected error as INTERNAL without leaking its message to callers. */
export function toServingError(err: unknown): ServingError {
  if (err instanceof ServingError) return err;
  const cause = err instanceof Error ? err.message : String(err);
  return new ServingError('INTERNAL', 'internal error', { cause });
}
