import { ServingError } from '../errors/index.js';
import type { Clock } from '../util/index.js';
import type { RateDecision, RateLimitOptions, RateLimiter } from './types.js';

/** Principals whose buckets are kept; past it the least recently seen bucket is dropped. */
export const DEFAULT_MAX_TRACKED_PRINCIPALS = 10_000;

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export interface TokenBucketOptions extends RateLimitOptions {
  clock: Clock;
  maxTrackedPrincipals?: number;
}

/**
 * In-memory token buckets, one per principal, refilled continuously at requestsPerSecond up to
 * burst. Per process: behind N replicas a principal gets N times the rate (a shared limiter
 * over Redis can implement RateLimiter later). Dropping an idle bucket when the map is full
 * only forgives that principal's debt, so the bound never refuses anyone wrongly.
 */
export function createTokenBucketLimiter(options: TokenBucketOptions): RateLimiter {
  const { requestsPerSecond, burst, clock } = options;
  const maxTracked = options.maxTrackedPrincipals ?? DEFAULT_MAX_TRACKED_PRINCIPALS;
  if (!(requestsPerSecond > 0) || !Number.isFinite(requestsPerSecond)) {
    throw new ServingError('INVALID_CONFIG', 'auth.rateLimit.requestsPerSecond must be a positive number');
  }
  if (!Number.isInteger(burst) || burst < 1) {
    throw new ServingError('INVALID_CONFIG', 'auth.rateLimit.burst must be an integer >= 1');
  }
  // Insertion order of a Map is our LRU order: each use moves the principal to the end.
  const buckets = new Map<string, Bucket>();

  const take = (principalId: string): RateDecision => {
    const now = clock.now();
    const bucket = buckets.get(principalId) ?? { tokens: burst, updatedMs: now };
    buckets.delete(principalId);
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updatedMs) / 1000) * requestsPerSecond);
    bucket.updatedMs = now;
    buckets.set(principalId, bucket);
    if (buckets.size > maxTracked) {
      const oldest = buckets.keys().next().value as string;
      buckets.delete(oldest);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    // Retry-After is whole seconds; rounding up means a retry at that time succeeds.
    const retryAfterS = Math.max(1, Math.ceil((1 - bucket.tokens) / requestsPerSecond));
    return { allowed: false, retryAfterS };
  };
  return { consume: async (principalId) => take(principalId) };
}
