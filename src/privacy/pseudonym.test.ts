import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServingError } from '../errors/index.js';
import { ManualClock } from '../util/index.js';
import { checkPayloadLogOptions, createKeyring, pseudonymousId, shouldLogPayload, verifyPseudonymousId } from './index.js';

const SECRET = 'a-pseudonym-secret-of-32-bytes!!';
const MIDNIGHT = Date.parse('2030-01-02T00:00:00Z');

describe('pseudonymous ids', () => {
  test('are stable within a day, change at 00:00 UTC, and differ between users', () => {
    const clock = new ManualClock(MIDNIGHT - 3_600_000);
    const ring = createKeyring({ secret: SECRET, rotation: 'daily', clock });
    const before = pseudonymousId('user-1', ring);
    assert.match(before, /^[A-Za-z0-9_-]{43}$/);
    clock.advance(3_600_000 - 1);
    assert.equal(pseudonymousId('user-1', ring), before);
    assert.notEqual(pseudonymousId('user-2', ring), before);
    clock.advance(1);
    assert.notEqual(pseudonymousId('user-1', ring), before);
  });

  test('an id from the previous period still verifies, one from two periods back does not', () => {
    const clock = new ManualClock(0);
    const ring = createKeyring({ secret: SECRET, rotation: { periodMs: 60_000 }, clock });
    const id = pseudonymousId('u', ring);
    clock.advance(60_000);
    assert.equal(verifyPseudonymousId(id, 'u', ring), true);
    assert.equal(verifyPseudonymousId(id, 'v', ring), false);
    clock.advance(60_000);
    assert.equal(verifyPseudonymousId(id, 'u', ring), false);
  });

  test('the same secret gives the same ids on every replica; another secret gives others', () => {
    const clock = new ManualClock(MIDNIGHT);
    const a = createKeyring({ secret: SECRET, rotation: 'daily', clock });
    const b = createKeyring({ secret: SECRET, rotation: 'daily', clock });
    const c = createKeyring({ secret: `${SECRET}x`, rotation: 'daily', clock });
    assert.equal(pseudonymousId('u', a), pseudonymousId('u', b));
    assert.notEqual(pseudonymousId('u', a), pseudonymousId('u', c));
  });

  test('short secrets and periods are INVALID_CONFIG; empty user ids INVALID_REQUEST', () => {
    const code = (c: string) => (e: unknown) => e instanceof ServingError && e.code === c;
    assert.throws(() => createKeyring({ secret: SECRET.slice(1), rotation: 'daily' }), code('INVALID_CONFIG'));
    assert.throws(() => createKeyring({ secret: SECRET, rotation: { periodMs: 999 } }), code('INVALID_CONFIG'));
    assert.doesNotThrow(() => createKeyring({ secret: SECRET, rotation: { periodMs: 1_000 } }));
    assert.throws(() => pseudonymousId('', createKeyring({ secret: SECRET, rotation: 'daily' })), code('INVALID_REQUEST'));
  });
});

describe('payload logging sampling', () => {
  const rng = (value: number) => () => value;
  test('is off unless enabled, whatever the rate', () => {
    assert.equal(shouldLogPayload('m', { enabled: false, sampleRate: 1 }, rng(0)), false);
  });
  test('logs when rng falls below the model rate, which overrides the default rate', () => {
    const options = { enabled: true, sampleRate: 0.1, modelSampleRates: { hot: 0.5, off: 0 } };
    assert.equal(shouldLogPayload('m', options, rng(0.099)), true);
    assert.equal(shouldLogPayload('m', options, rng(0.1)), false);
    assert.equal(shouldLogPayload('hot', options, rng(0.49)), true);
    assert.equal(shouldLogPayload('off', options, rng(0)), false);
    assert.equal(shouldLogPayload('m', { enabled: true, sampleRate: 1 }, rng(0.999)), true);
  });
  test('rates outside 0..1 are INVALID_CONFIG, the bounds themselves accepted', () => {
    assert.doesNotThrow(() => checkPayloadLogOptions({ enabled: true, sampleRate: 0, modelSampleRates: { a: 1 } }));
    for (const bad of [-0.01, 1.01, Number.NaN]) {
      assert.throws(() => checkPayloadLogOptions({ enabled: true, sampleRate: 0.5, modelSampleRates: { a: bad } }),
        (e: unknown) => e instanceof ServingError && e.code === 'INVALID_CONFIG');
    }
  });
});
