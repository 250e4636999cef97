import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ServingError } from '../errors/index.js';
import type { RateDecision, RateLimitOptions, RateLimiter } from './types.js';

/** Principals whose windows are kept; past it the least recently seen one is dropped. */
export const DEFAULT_MAX_TRACKED_PRINCIPALS = 10_000;

export interface MemoryRateLimiterOptions extends RateLimitOptions {
  maxTrackedPrincipals?: number;
}

/**
 * Per-principal limits on rate-limiter-flexible's RateLimiterMemory, mapped as one fixed window
 * per principal: `burst` points over `burst / requestsPerSecond` seconds. The window opens at the
 * principal's first request, so `burst` requests pass at once, the next is refused until the
 * window ends, and the long-run rate is exactly requestsPerSecond. Unlike a token bucket, a
 * principal that spent its burst waits for the whole window (Retry-After says how long), and
 * around a window's end up to 2 × burst requests can pass close together; over any span of
 * L seconds at most 2 × burst + requestsPerSecond × L pass. We chose this over the library's
 * BurstyRateLimiter because two windows added together let through about twice the rate.
 *
 * The library reads Date.now and clears expired windows with unref'd timers, so time is not
 * injected (tests mock Date). It has no bound on keys; the map below keeps one: past
 * maxTrackedPrincipals the least recently seen principal's window is deleted, which only
 * forgives, never refuses. Per process: behind N replicas a principal gets N times the rate
 * (RateLimiterRedis behind the same RateLimiter interface would share it).
 */
export function createMemoryRateLimiter(options: MemoryRateLimiterOptions): RateLimiter {
  const { requestsPerSecond, burst } = options;
  const maxTracked = options.maxTrackedPrincipals ?? DEFAULT_MAX_TRACKED_PRINCIPALS;
  if (!(requestsPerSecond > 0) || !Number.isFinite(requestsPerSecond)) {
    throw new ServingError('INVALID_CONFIG', 'auth.rateLimit.requestsPerSecond must be a positive number');
  }
  if (!Number.isInteger(burst) || burst < 1) {
    throw new ServingError('INVALID_CONFIG', 'auth.rateLimit.burst must be an integer >= 1');
  }
  const windowS = burst / requestsPerSecond;
  if (!Number.isFinite(windowS)) {
    throw new ServingError('INVALID_CONFIG', 'auth.rateLimit.burst / requestsPerSecond must be a finite number of seconds');
  }
  const limiter = new RateLimiterMemory({ points: burst, duration: windowS });
  // Insertion order of a Map is our LRU order: each use moves the principal to the end.
  const seen = new Map<string, true>();

  const track = async (principalId: string): Promise<void> => {
    seen.delete(principalId);
    seen.set(principalId, true);
    if (seen.size > maxTracked) {
      const oldest = seen.keys().next().value as string;
      seen.delete(oldest);
      await limiter.delete(oldest);
    }
  };

  return {
    async consume(principalId): Promise<RateDecision> {
      await track(principalId);
      try {
        await limiter.consume(principalId);
        return { allowed: true };
      } catch (err) {
        // The library rejects with its result when the window is spent, and with an Error otherwise.
        if (!(err instanceof RateLimiterRes)) throw err;
        // Retry-After is whole seconds; rounding up means a retry at that time succeeds.
        return { allowed: false, retryAfterS: Math.max(1, Math.ceil(err.msBeforeNext / 1000)) };
      }
    },
  };
}
