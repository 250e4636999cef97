import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { ServingError } from '../errors/index.js';
import { createGuard, createMemoryRateLimiter, generateApiKey } from './index.js';

// rate-limiter-flexible reads Date.now and expires windows with setTimeout: both are mocked so
// time moves only when a test ticks it.
const mockTime = (t: TestContext): void => t.mock.timers.enable({ apis: ['Date', 'setTimeout'], now: 1_000_000 });

test('a principal may send burst requests at once, then waits for the window of burst / rate seconds', async (t) => {
  mockTime(t);
  const limiter = createMemoryRateLimiter({ requestsPerSecond: 10, burst: 3 });
  for (let i = 0; i < 3; i++) assert.deepEqual(await limiter.consume('a'), { allowed: true });
  assert.deepEqual(await limiter.consume('a'), { allowed: false, retryAfterS: 1 });
  assert.equal((await limiter.consume('b')).allowed, true);
  t.mock.timers.tick(299);
  assert.equal((await limiter.consume('a')).allowed, false);
  t.mock.timers.tick(1);
  for (let i = 0; i < 3; i++) assert.equal((await limiter.consume('a')).allowed, true);
  assert.equal((await limiter.consume('a')).allowed, false);
});

test('Retry-After is the rest of the window rounded up to whole seconds, so a retry then succeeds', async (t) => {
  mockTime(t);
  const limiter = createMemoryRateLimiter({ requestsPerSecond: 0.25, burst: 1 });
  assert.equal((await limiter.consume('a')).allowed, true);
  assert.deepEqual(await limiter.consume('a'), { allowed: false, retryAfterS: 4 });
  t.mock.timers.tick(2_500);
  assert.deepEqual(await limiter.consume('a'), { allowed: false, retryAfterS: 2 });
  t.mock.timers.tick(1_499);
  assert.deepEqual(await limiter.consume('a'), { allowed: false, retryAfterS: 1 });
  t.mock.timers.tick(1);
  assert.equal((await limiter.consume('a')).allowed, true);
});

test('a principal sending steadily gets requestsPerSecond on average', async (t) => {
  mockTime(t);
  const limiter = createMemoryRateLimiter({ requestsPerSecond: 2, burst: 4 });
  let allowed = 0;
  for (let ms = 0; ms < 10_000; ms += 100) {
    if ((await limiter.consume('a')).allowed) allowed++;
    t.mock.timers.tick(100);
  }
  assert.equal(allowed, 20);
});

test('idle time never lets more than burst requests through at once', async (t) => {
  mockTime(t);
  const limiter = createMemoryRateLimiter({ requestsPerSecond: 100, burst: 2 });
  t.mock.timers.tick(60_000);
  assert.equal((await limiter.consume('a')).allowed, true);
  assert.equal((await limiter.consume('a')).allowed, true);
  assert.equal((await limiter.consume('a')).allowed, false);
});

test('past maxTrackedPrincipals the least recently seen principal is forgotten', async (t) => {
  mockTime(t);
  const limiter = createMemoryRateLimiter({ requestsPerSecond: 1, burst: 1, maxTrackedPrincipals: 2 });
  await limiter.consume('a');
  await limiter.consume('b');
  assert.equal((await limiter.consume('a')).allowed, false);
  await limiter.consume('c');
  // b was least recently seen: it starts over with a full window; a is still remembered.
  assert.equal((await limiter.consume('b')).allowed, true);
  assert.equal((await limiter.consume('c')).allowed, false);
});

test('non-positive or non-finite rates and non-integer bursts are INVALID_CONFIG', () => {
  const bad = [
    { requestsPerSecond: 0, burst: 1 }, { requestsPerSecond: Number.NaN, burst: 1 },
    { requestsPerSecond: Number.POSITIVE_INFINITY, burst: 1 }, { requestsPerSecond: 1e-320, burst: 1 },
    { requestsPerSecond: 1, burst: 0 }, { requestsPerSecond: 1, burst: 1.5 },
  ];
  for (const options of bad) {
    assert.throws(() => createMemoryRateLimiter(options), (e: unknown) => e instanceof ServingError && e.code === 'INVALID_CONFIG');
  }
});

test('the guard answers RATE_LIMITED with retryAfterS in detail, counting forbidden requests too', async (t) => {
  mockTime(t);
  const { key, sha256 } = generateApiKey();
  const guard = createGuard({ enabled: true, apiKeys: [{ id: 'a', sha256, scopes: [] }], rateLimit: { requestsPerSecond: 1, burst: 1 } });
  await assert.rejects(guard.check({ 'x-api-key': key }, { kind: 'admin' }), (e: unknown) => e instanceof ServingError && e.code === 'FORBIDDEN');
  await assert.rejects(guard.check({ 'x-api-key': key }, { kind: 'metadata' }), (e: unknown) =>
    e instanceof ServingError && e.code === 'RATE_LIMITED' && e.detail?.retryAfterS === 1);
});
