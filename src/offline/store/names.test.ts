import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_KEY_LENGTH, checkKey, checkRunId, checkSetName } from './names.js';

describe('prediction keys and names', () => {
  test('a key of MAX_KEY_LENGTH characters passes and one more is INVALID_REQUEST', () => {
    assert.equal(checkKey('k'.repeat(MAX_KEY_LENGTH)).length, 256);
    assert.throws(() => checkKey('k'.repeat(MAX_KEY_LENGTH + 1)), { code: 'INVALID_REQUEST' });
  });

  test('printable text passes, including spaces, slashes and emoji', () => {
    for (const key of ['a b', 'a/b', 'ünïcode', '👍', 'x'.repeat(128)]) assert.equal(checkKey(key), key);
  });

  test('empty keys, non-strings, control characters and lone surrogates are INVALID_REQUEST', () => {
    for (const key of ['', 42, null, 'a\u0000', 'tab\there', 'del\u007f', 'c1\u0085', 'lone\ud800', '\udc00x']) {
      assert.throws(() => checkKey(key), { code: 'INVALID_REQUEST' }, JSON.stringify(key));
    }
  });

  test('the error message does not echo the key', () => {
    assert.throws(() => checkKey('secret\u0001'), (err: Error) => !err.message.includes('secret'));
  });

  test('set names and run ids follow the model name rules', () => {
    assert.equal(checkSetName('purchase.v2'), 'purchase.v2');
    assert.throws(() => checkSetName('a..b'), { code: 'INVALID_MODEL_NAME' });
    assert.throws(() => checkSetName('a:b'), { code: 'INVALID_MODEL_NAME' });
    assert.equal(checkRunId('2025-01-01T00-00'), '2025-01-01T00-00');
    assert.throws(() => checkRunId('a/b'), { code: 'INVALID_REQUEST' });
  });
});
