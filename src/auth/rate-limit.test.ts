import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServingError } from '../errors/index.js';
import { ManualClock } from '../util/index.js';
import { createGuard, createTokenBucketLimiter, generateApiKey } from './index.js';

test('a principal may send burst requests at once, then one per refill interval', async () => {
  const clock = new ManualClock();
  const limiter = createTokenBucketLimiter({ requestsPerSecond: 10, burst: 3, clock });
  for (let i = 0; i < 3; i++) assert.deepEqual(await limiter.consume('a'), { allowed: true });
  assert.deepEqual(await limiter.consume('a'), { allowed: false, retryAfterS: 1 });
  clock.advance(99);
  assert.equal((await limiter.consume('a')).allowed, false);
  clock.advance(1);
  assert.equal((await limiter.consume('a')).allowed, true);
  assert.equal((await limiter.consume('b')).allowed, true);
});

test('Retry-After rounds up to whole seconds so a retry then succeeds', async () => {
  const clock = new ManualClock();
  const limiter = createTokenBucketLimiter({ requestsPerSecond: 0.25, burst: 1, clock });
  await limiter.consume('a');
  assert.deepEqual(await limiter.consume('a'), { allowed: false, retryAfterS: 4 });
  clock.advance(4_000);
  assert.equal((await limiter.consume('a')).allowed, true);
});

test('idle time refills a bucket only up to burst', async () => {
  const clock = new ManualClock();
  const limiter = createTokenBucketLimiter({ requestsPerSecond: 100, burst: 2, clock });
  clock.advance(60_000);
  assert.equal((await limiter.consume('a')).allowed, true);
  assert.equal((await limiter.consume('a')).allowed, true);
  assert.equal((await limiter.consume('a')).allowed, false);
});

test('past maxTrackedPrincipals the least recently seen bucket is forgotten', async () => {
  const clock = new ManualClock();
  const limiter = createTokenBucketLimiter({ requestsPerSecond: 1, burst: 1, clock, maxTrackedPrincipals: 2 });
  await limiter.consume('a');
  await limiter.consume('b');
  assert.equal((await limiter.consume('a')).allowed, false);
  await limiter.consume('c');
  // b was least recently seen: it starts over with a full bucket; a is still remembered.
  assert.equal((await limiter.consume('b')).allowed, true);
  assert.equal((await limiter.consume('c')).allowed, false);
});

test('non-positive rates and bursts are INVALID_CONFIG', () => {
  const clock = new ManualClock();
  for (const bad of [{ requestsPerSecond: 0, burst: 1 }, { requestsPerSecond: 1, burst: 0 }, { requestsPerSecond: 1, burst: 1.5 }]) {
    assert.throws(() => createTokenBucketLimiter({ ...bad, clock }), (e: unknown) => e instanceof ServingError && e.code === 'INVALID_CONFIG');
  }
});

test('the guard answers RATE_LIMITED with retryAfterS in detail, counting forbidden requests too', async () => {
  const clock = new ManualClock();
  const { key, sha256 } = generateApiKey();
  const guard = createGuard({ enabled: true, apiKeys: [{ id: 'a', sha256, scopes: [] }], rateLimit: { requestsPerSecond: 1, burst: 1 } }, { clock });
  await assert.rejects(guard.check({ 'x-api-key': key }, { kind: 'admin' }), (e: unknown) => e instanceof ServingError && e.code === 'FORBIDDEN');
  await assert.rejects(guard.check({ 'x-api-key': key }, { kind: 'metadata' }), (e: unknown) =>
    e instanceof ServingError && e.code === 'RATE_LIMITED' && e.detail?.retryAfterS === 1);
});
