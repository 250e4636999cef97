import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TIMER_MS, queueTimeoutMs } from './timeout.js';

test('Triton’s timeout parameter is in microseconds', () => {
  assert.equal(queueTimeoutMs({ parameters: { timeout: 250000 } }, 0), 250);
});

test('a timeout parameter that is zero, negative or not a number is ignored', () => {
  for (const timeout of [0, -5, '100']) assert.equal(queueTimeoutMs({ parameters: { timeout } }, 0), 0);
  assert.equal(queueTimeoutMs({ parameters: { timeout: 0 } }, 40), 40);
});

test('the shortest of the transport deadline, the parameter and the model default wins; a request never extends the default', () => {
  assert.equal(queueTimeoutMs({ timeoutMs: 30, parameters: { timeout: 50000 } }, 0), 30);
  assert.equal(queueTimeoutMs({ timeoutMs: 80, parameters: { timeout: 50000 } }, 0), 50);
  assert.equal(queueTimeoutMs({ parameters: { timeout: 900000 } }, 100), 100);
  assert.equal(queueTimeoutMs({}, 100), 100);
  assert.equal(queueTimeoutMs({}, 0), 0);
});

test('a timeout past what a timer can wait means no timeout, at the bound and one past it', () => {
  assert.equal(queueTimeoutMs({ timeoutMs: MAX_TIMER_MS }, 0), MAX_TIMER_MS);
  assert.equal(queueTimeoutMs({ timeoutMs: MAX_TIMER_MS + 1 }, 0), 0);
});
