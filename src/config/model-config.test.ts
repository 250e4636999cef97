import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModelConfig } from './model-config.js';
import { parseServerConfig } from './server-config.js';

function rejects(text: string, pattern: RegExp): void {
  assert.throws(() => parseModelConfig(text, 'm'), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'INVALID_CONFIG');
    assert.match(err.message, pattern);
    return true;
  });
}

describe('model config.yaml', () => {
  test('an absent or empty file gives the defaults', () => {
    const c = parseModelConfig(undefined, 'm');
    assert.equal(c.maxBatchSize, undefined);
    assert.deepEqual(c.versionPolicy, { latest: 1 });
    assert.equal(c.batching.maxQueueSize, 1024);
    assert.equal(c.batching.maxQueueDelayMs, 0);
    assert.deepEqual(parseModelConfig('', 'm'), c);
  });

  test('every documented key is accepted and the result is frozen', () => {
    const c = parseModelConfig(
      [
        'maxBatchSize: 32',
        'batching: { maxQueueDelayMs: 2, preferredBatchSizes: [8, 16], maxQueueSize: 100, defaultTimeoutMs: 500 }',
        'versionPolicy: { specific: [1, 3] }',
        'labels: { stable: 1, canary: 3 }',
        'warmup: { enabled: true, batchSizes: [1, 32], count: 2 }',
        'runtime: { instances: 1, intraOpThreads: 2 }',
        'loadTimeoutMs: 5000',
      ].join('\n'),
      'm',
    );
    assert.equal(c.maxBatchSize, 32);
    assert.deepEqual(c.batching.preferredBatchSizes, [8, 16]);
    assert.deepEqual(c.labels, { stable: 1, canary: 3 });
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.batching));
  });

  test('an unknown key is an error naming the key', () => {
    rejects('batching: { maxQueueDelay: 5 }', /unsupported batching\.maxQueueDelay, use maxQueueDelayMs instead/);
    rejects('colour: blue', /unknown key 'colour'/);
    rejects('max_batch_size: 8', /unsupported max_batch_size, use maxBatchSize instead/);
  });

  test('values out of range are rejected with the key', () => {
    rejects('maxBatchSize: -1', /maxBatchSize/);
    rejects('batching: { maxQueueSize: 0 }', /batching\.maxQueueSize/);
    rejects('labels: { "bad-label": 1 }', /labels/);
    rejects('versionPolicy: { latest: 1, all: true }', /versionPolicy/);
  });

  test('a preferred batch size above maxBatchSize is rejected', () => {
    rejects('maxBatchSize: 8\nbatching: { preferredBatchSizes: [16] }', /preferredBatchSizes holds 16, more than maxBatchSize 8/);
  });

  test('invalid YAML is an INVALID_CONFIG error, not a crash', () => {
    rejects('maxBatchSize: [', /not valid YAML/);
  });
});

describe('server options', () => {
  test('defaults fill in and unknown options are rejected', () => {
    const c = parseServerConfig({ modelRepository: '/m' });
    assert.equal(c.httpPort, 8000);
    assert.equal(c.modelControlMode, 'none');
    assert.throws(() => parseServerConfig({ modelRepository: '/m', batchTimeout: 5 }), /unsupported batchTimeout, use maxQueueDelayMs instead/);
    assert.throws(() => parseServerConfig({ modelRepository: '/m', maxBodyBytes: 10 }), /maxBodyBytes/);
  });

  test('explicit model control fails closed: it needs --auth, or --insecure-model-control said out loud', () => {
    assert.throws(() => parseServerConfig({ modelRepository: '/m', modelControlMode: 'explicit' }), /needs? an admin credential/);
    assert.equal(parseServerConfig({ modelRepository: '/m', modelControlMode: 'explicit', insecureModelControl: true }).modelControlMode, 'explicit');
    const withAuth = parseServerConfig({
      modelRepository: '/m',
      modelControlMode: 'explicit',
      auth: { enabled: true, apiKeys: [{ id: 'ops', sha256: 'a'.repeat(64), scopes: ['admin'] }] },
    });
    assert.equal(withAuth.auth.enabled, true);
  });
});
