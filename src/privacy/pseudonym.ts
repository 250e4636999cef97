import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { ServingError } from '../errors/index.js';

const DAY_MS = 86_400_000;
const MIN_SECRET_BYTES = 32;
/** Fixed salt: changing it changes every id, so it is versioned rather than configurable. */
const HKDF_SALT = 'skein-pseudonym-v1';
const MAX_USER_ID_CHARS = 1_024;

/** Wall-clock time in epoch milliseconds (Date.now; not the monotonic serving Clock). */
export interface WallClock {
  now(): number;
}

export interface KeyringOptions {
  /** The one long-lived secret (≥ 32 bytes); per-period keys are derived from it. */
  secret: string;
  /** 'daily' rotates at 00:00 UTC; { periodMs } rotates every periodMs since the epoch. */
  rotation: 'daily' | { periodMs: number };
  clock?: WallClock;
}

export interface PeriodKey {
  /** floor(now / periodMs): the number of the rotation period. */
  period: number;
  key: Buffer;
}

/**
 * Per-period HMAC keys. Each period's key is HKDF-SHA256(secret, salt, "period:<n>"), so only
 * the one secret is stored, a leaked period key reveals nothing about other periods, and any
 * replica computes the same key without coordination. Holds the current and previous key: an
 * id made just before the boundary still verifies just after it.
 */
export interface Keyring {
  readonly periodMs: number;
  current(): PeriodKey;
  previous(): PeriodKey;
}

export function createKeyring(options: KeyringOptions): Keyring {
  if (Buffer.byteLength(options.secret, 'utf8') < MIN_SECRET_BYTES) {
    throw new ServingError('INVALID_CONFIG', `privacy.pseudonymSecret must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  const periodMs = options.rotation === 'daily' ? DAY_MS : options.rotation.periodMs;
  if (!Number.isInteger(periodMs) || periodMs < 1_000) {
    throw new ServingError('INVALID_CONFIG', 'privacy.pseudonymRotation.periodMs must be an integer >= 1000');
  }
  const clock = options.clock ?? { now: Date.now };
  const cache = new Map<number, Buffer>();
  const keyFor = (period: number): PeriodKey => {
    let key = cache.get(period);
    if (key === undefined) {
      key = Buffer.from(hkdfSync('sha256', options.secret, HKDF_SALT, `period:${period}`, 32));
      // Only the current and previous periods are ever asked for; keep the map that small.
      if (cache.size >= 2) cache.delete(Math.min(...cache.keys()));
      cache.set(period, key);
    }
    return { period, key };
  };
  const currentPeriod = (): number => Math.floor(clock.now() / periodMs);
  return {
    periodMs,
    current: () => keyFor(currentPeriod()),
    previous: () => keyFor(currentPeriod() - 1),
  };
}

function hmacOf(userId: string, key: Buffer): Buffer {
  if (userId.length === 0 || userId.length > MAX_USER_ID_CHARS) {
    throw new ServingError('INVALID_REQUEST', `the user id must be 1-${MAX_USER_ID_CHARS} characters`);
  }
  return createHmac('sha256', key).update(userId, 'utf8').digest();
}

/** base64url(HMAC-SHA256(period key, userId)): 43 characters, stable within a period. */
export function pseudonymousId(userId: string, keyring: Keyring): string {
  return hmacOf(userId, keyring.current().key).toString('base64url');
}

/** True when `id` is the pseudonymous id of userId in the current or the previous period. */
export function verifyPseudonymousId(id: string, userId: string, keyring: Keyring): boolean {
  const presented = Buffer.from(id, 'base64url');
  let ok = false;
  for (const { key } of [keyring.current(), keyring.previous()]) {
    const expected = hmacOf(userId, key);
    if (presented.length === expected.length && timingSafeEqual(presented, expected)) ok = true;
  }
  return ok;
}
