import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServingError } from '../errors/index.js';
import { expectStatus } from './grpc-errors.js';
import { rawContents } from './grpc-client.js';
import { createRawInferCaller, requestOfSize } from './grpc-raw.js';
import { resolveEndpoint } from './run.js';

const invalidConfig = (pattern: RegExp) => (err: unknown) => err instanceof ServingError && err.code === 'INVALID_CONFIG' && pattern.test(err.message);

describe('gRPC transport of the kit', () => {
  test('a grpc:// endpoint selects gRPC; --protocol grpc also takes host:port; http stays REST', () => {
    assert.deepEqual(resolveEndpoint('grpc://localhost:8001'), { protocol: 'grpc', address: 'localhost:8001' });
    assert.deepEqual(resolveEndpoint('localhost:8001', 'grpc'), { protocol: 'grpc', address: 'localhost:8001' });
    assert.deepEqual(resolveEndpoint('grpc://[::1]:8001/', 'grpc'), { protocol: 'grpc', address: '[::1]:8001' });
    assert.deepEqual(resolveEndpoint('http://localhost:8000'), { protocol: 'rest', url: 'http://localhost:8000' });
  });

  test('conflicting or incomplete endpoints are refused with what to give', () => {
    assert.throws(() => resolveEndpoint('grpc://localhost:8001', 'rest'), invalidConfig(/needs protocol grpc/));
    assert.throws(() => resolveEndpoint('http://localhost:8001', 'grpc'), invalidConfig(/grpc:\/\/host:port/));
    assert.throws(() => resolveEndpoint('grpc://localhost'), invalidConfig(/grpc:\/\/host:port/));
    assert.throws(() => resolveEndpoint('localhost:8001', 'soap' as 'rest'), invalidConfig(/rest or grpc/));
    assert.throws(() => resolveEndpoint('ftp://localhost'), invalidConfig(/http, https and grpc/));
  });

  test('the oversized request is exactly the size asked for, across length-prefix boundaries', () => {
    const caller = createRawInferCaller('127.0.0.1:1', 1000);
    try {
      const base = { model_name: 'm', inputs: [{ name: 'x', datatype: 'FP32', shape: ['1', '4'] }] };
      for (const size of [200, 127 + 40, 128 + 40, 16_384 + 40, 1024 * 1024 + 1, 64 * 1024 * 1024 + 1]) {
        assert.equal(caller.messageBytes(requestOfSize(caller, base, size)), size, `size ${size}`);
      }
    } finally {
      caller.close();
    }
  });

  test('raw contents are little-endian values, BYTES with u32 length prefixes', () => {
    assert.deepEqual([...rawContents({ name: 'x', datatype: 'INT32', shape: [2], data: [[1], [-1]] })], [1, 0, 0, 0, 255, 255, 255, 255]);
    assert.deepEqual([...rawContents({ name: 's', datatype: 'BYTES', shape: [1], data: ['ab'] })], [2, 0, 0, 0, 97, 98]);
    assert.deepEqual([...rawContents({ name: 'b', datatype: 'BOOL', shape: [2], data: [true, false] })], [1, 0]);
    assert.throws(() => rawContents({ name: 'x', datatype: 'FLOAT', shape: [1], data: [1] }), invalidConfig(/OIP datatype/));
  });

  test('an error case passes only on the expected status with a message', () => {
    const INVALID_ARGUMENT = 3;
    assert.equal(expectStatus({ ok: false, code: 3, details: 'input "x": expected FP32' }, INVALID_ARGUMENT), undefined);
    assert.equal(expectStatus({ ok: true }, INVALID_ARGUMENT), 'answered OK, expected INVALID_ARGUMENT (3)');
    assert.equal(expectStatus({ ok: false, code: 13, details: 'boom', skeinCode: 'INTERNAL' }, INVALID_ARGUMENT),
      'answered INTERNAL (13) INTERNAL: boom, expected INVALID_ARGUMENT (3)');
    assert.equal(expectStatus({ ok: false, code: 3, details: ' ' }, INVALID_ARGUMENT), 'answered INVALID_ARGUMENT (3) without a message (status details)');
  });
});
