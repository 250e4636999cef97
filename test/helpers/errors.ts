import assert from 'node:assert/strict';
import { ServingError, type ErrorCode } from '../../src/errors/index.js';

/** Asserts that `fn` throws a ServingError with `code`, and returns it for further checks. */
export function throwsCode(fn: () => unknown, code: ErrorCode): ServingError {
  let caught: unknown;
  assert.throws(fn, (err: unknown) => {
    caught = err;
    return err instanceof ServingError && err.code === code;
  });
  return caught as ServingError;
}
