import type { ErrorCode } from '../../errors/index.js';

/** The codes the batch job raises, in one place. */
export const BATCH_CODES = {
  /** A flag or mapping file is wrong, or the input lacks a column the job needs. */
  usage: 'INVALID_CONFIG',
  /** The input file is corrupt (the message carries the line or row). */
  inputInvalid: 'INPUT_INVALID',
  /** The prediction store stayed unreachable through every retry. */
  storeUnavailable: 'STORE_UNAVAILABLE',
  /** The model failed while running a batch. */
  inferenceFailed: 'INFERENCE_FAILED',
} as const satisfies Record<string, ErrorCode>;

/** Names of columns, inputs and outputs in messages: never values, at most 64 characters. */
export function quoteName(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 61)}...` : name);
}
