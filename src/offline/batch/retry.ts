import { ServingError } from '../../errors/index.js';
import type { Clock } from '../../util/index.js';
import { BATCH_CODES } from './errors.js';

/** Retries of prediction-store calls: exponential backoff with full jitter, bounded attempts. */
export interface RetryOptions {
  /** Tries in all, the first included; 1 = no retry. */
  maxAttempts: number;
  /** Ceiling of the first wait; doubles on each retry. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = Object.freeze({ maxAttempts: 6, initialDelayMs: 200, maxDelayMs: 5_000 });
export const MAX_RETRY_ATTEMPTS = 100;

export function checkRetryOptions(o: RetryOptions): RetryOptions {
  const ok = Number.isInteger(o.maxAttempts) && o.maxAttempts >= 1 && o.maxAttempts <= MAX_RETRY_ATTEMPTS
    && o.initialDelayMs >= 0 && o.maxDelayMs >= o.initialDelayMs;
  if (!ok) {
    throw new ServingError(BATCH_CODES.usage,
      `--store-retry-attempts must be 1..${MAX_RETRY_ATTEMPTS} and --store-retry-max-delay-ms at least --store-retry-initial-delay-ms`);
  }
  return o;
}

/** Wait before retry `retry` (1 = first retry): uniform in [0, min(max, initial · 2^(retry-1))]. */
export function backoffDelayMs(retry: number, o: RetryOptions, random: () => number): number {
  const ceiling = Math.min(o.maxDelayMs, o.initialDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

export interface RetryHooks {
  clock: Clock;
  random?: () => number;
  /** Called before each wait, for logs. */
  onRetry?: (what: string, attempt: number, delayMs: number, err: unknown) => void;
}

/**
 * Runs `op` until it succeeds or maxAttempts are spent (connection errors; a ServingError is
 * thrown at once), then throws the storeUnavailable code
 * saying what failed and that the run can be resumed. `what` names the store call, never data.
 */
export async function withRetry<T>(what: string, op: () => Promise<T>, o: RetryOptions, hooks: RetryHooks): Promise<T> {
  const random = hooks.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      // A coded error is the store refusing (a closed run, a bad key): retrying cannot help.
      if (err instanceof ServingError) throw err;
      if (attempt >= o.maxAttempts) {
        const cause = err instanceof Error ? err.message : String(err);
        throw new ServingError(BATCH_CODES.storeUnavailable,
          `prediction store failed ${o.maxAttempts} times in a row (${what}); nothing was published. ` +
          'Fix the store, then resume with the same --run', { cause, what });
      }
      const delayMs = backoffDelayMs(attempt, o, random);
      hooks.onRetry?.(what, attempt, delayMs, err);
      await new Promise<void>((resolve) => hooks.clock.setTimeout(resolve, delayMs));
    }
  }
}
