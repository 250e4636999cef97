import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServingError, type ErrorCode } from '../errors/index.js';
import { decodeJsonTensor, encodeJsonTensor } from './index.js';

const limits = { maxTensorElements: 1000 };

function throwsCode(fn: () => unknown, code: ErrorCode, messageIncludes?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ServingError, `expected ServingError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (messageIncludes !== undefined) assert.ok(err.message.includes(messageIncludes), err.message);
    return true;
  });
}

const samples: { datatype: string; data: unknown[]; storage: Function }[] = [
  { datatype: 'BOOL', data: [true, false, true, true, false, false], storage: Uint8Array },
  { datatype: 'UINT8', data: [0, 1, 2, 128, 254, 255], storage: Uint8Array },
  { datatype: 'INT8', data: [-128, -1, 0, 1, 100, 127], storage: Int8Array },
  { datatype: 'UINT16', data: [0, 1, 2, 3, 65534, 65535], storage: Uint16Array },
  { datatype: 'INT16', data: [-32768, -1, 0, 1, 2, 32767], storage: Int16Array },
  { datatype: 'UINT32', data: [0, 1, 2, 3, 4, 4294967295], storage: Uint32Array },
  { datatype: 'INT32', data: [-2147483648, -1, 0, 1, 2, 2147483647], storage: Int32Array },
  { datatype: 'UINT64', data: [0, 1, 2, 3, 4, Number.MAX_SAFE_INTEGER], storage: BigUint64Array },
  { datatype: 'INT64', data: [Number.MIN_SAFE_INTEGER, -1, 0, 1, 2, Number.MAX_SAFE_INTEGER], storage: BigInt64Array },
  { datatype: 'FP32', data: [0, -1.5, 0.25, 2 ** 100, -3, 2], storage: Float32Array },
  { datatype: 'FP64', data: [0, -1.5, 0.1, 1e300, -3, 2], storage: Float64Array },
  { datatype: 'BYTES', data: ['a', '', 'héllo', '日本', '🧶', 'x'], storage: Array },
];

describe('decodeJsonTensor and encodeJsonTensor', () => {
  for (const s of samples) {
    test(`round-trips ${s.datatype} through JSON with flat and nested data alike`, () => {
      const flat = decodeJsonTensor({ name: 'x', datatype: s.datatype, shape: [2, 3], data: s.data }, limits);
      const nested = decodeJsonTensor(
        { name: 'x', datatype: s.datatype, shape: [2, 3], data: [s.data.slice(0, 3), s.data.slice(3)] },
        limits,
      );
      assert.ok(flat.data instanceof s.storage);
      assert.deepEqual(nested, flat);
      assert.deepEqual(encodeJsonTensor(flat), { name: 'x', datatype: s.datatype, shape: [2, 3], data: s.data });
    });
  }

  test('accepts data nested three deep for a rank-3 shape', () => {
    const t = decodeJsonTensor({ name: 'x', datatype: 'INT32', shape: [2, 1, 2], data: [[[1, 2]], [[3, 4]]] }, limits);
    assert.deepEqual([...(t.data as Int32Array)], [1, 2, 3, 4]);
  });

  test('accepts a scalar shape with one value and an empty shape dimension with no values', () => {
    assert.equal(decodeJsonTensor({ name: 'x', datatype: 'FP32', shape: [], data: [7] }, limits).data.length, 1);
    assert.equal(decodeJsonTensor({ name: 'x', datatype: 'FP32', shape: [0, 4], data: [] }, limits).data.length, 0);
  });

  test('rejects a non-object or a missing name with INVALID_REQUEST', () => {
    throwsCode(() => decodeJsonTensor([1], limits), 'INVALID_REQUEST');
    throwsCode(() => decodeJsonTensor(null, limits), 'INVALID_REQUEST');
    throwsCode(() => decodeJsonTensor({ name: '', datatype: 'FP32', shape: [1], data: [1] }, limits), 'INVALID_REQUEST');
    throwsCode(() => decodeJsonTensor({ datatype: 'FP32', shape: [1], data: [1] }, limits), 'INVALID_REQUEST');
  });

  test('rejects an unknown datatype, and FP16/BF16 with a hint to send binary, as INVALID_DATATYPE', () => {
    throwsCode(() => decodeJsonTensor({ name: 'x', datatype: 'FLOAT', shape: [1], data: [1] }, limits), 'INVALID_DATATYPE');
    throwsCode(() => decodeJsonTensor({ name: 'x', datatype: 'fp32', shape: [1], data: [1] }, limits), 'INVALID_DATATYPE');
    throwsCode(() => decodeJsonTensor({ name: 'x', datatype: 'FP16', shape: [1], data: [1] }, limits), 'INVALID_DATATYPE', 'binary');
    throwsCode(() => decodeJsonTensor({ name: 'x', datatype: 'BF16', shape: [1], data: [1] }, limits), 'INVALID_DATATYPE', 'binary');
  });

  test('rejects negative, fractional, string and unsafe dimensions with INVALID_SHAPE', () => {
    for (const shape of [[-1], [1.5], ['2'], [2 ** 53], 3, null]) {
      throwsCode(() => decodeJsonTensor({ name: 'x', datatype: 'FP32', shape, data: [] }, limits), 'INVALID_SHAPE');
    }
  });

  test('accepts exactly maxTensorElements elements and rejects one more before reading data', () => {
    const at = decodeJsonTensor({ name: 'x', datatype: 'UINT8', shape: [1000], data: new Array(1000).fill(0) }, limits);
    assert.equal(at.data.length, 1000);
    // data is absent: the limit must fire before data is looked at.
    throwsCode(() => decodeJsonTensor({ name: 'x', datatype: 'UINT8', shape: [1001] }, limits), 'TOO_MANY_ELEMENTS', '1000');
    throwsCode(() => decodeJsonTensor({ name: 'x', datatype: 'UINT8', shape: [2 ** 30, 2 ** 30, 2 ** 30] }, limits), 'TOO_MANY_ELEMENTS');
  });

  test('rejects a flat list of the wrong length with DATA_LENGTH_MISMATCH naming the input and the counts', () => {
    throwsCode(
      () => decodeJsonTensor({ name: 'x', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5] }, limits),
      'DATA_LENGTH_MISMATCH',
      "input 'x': expects 6 values for shape [2,3], got 5",
    );
    throwsCode(() => decodeJsonTensor({ name: 'x', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6, 7] }, limits), 'DATA_LENGTH_MISMATCH');
  });

  test('rejects nested data of the wrong length at some depth with DATA_LENGTH_MISMATCH', () => {
    throwsCode(() => decodeJsonTensor({ name: 'x', datatype: 'FP32', shape: [2, 3], data: [[1, 2, 3], [4, 5]] }, limits), 'DATA_LENGTH_MISMATCH');
    throwsCode(() => decodeJsonTensor({ name: 'x', datatype: 'FP32', shape: [2, 3], data: [[1, 2, 3]] }, limits), 'DATA_LENGTH_MISMATCH');
  });

  test('rejects ragged, mixed or too-deep nesting with INVALID_DATA', () => {
    throwsCode(() => decodeJsonTensor({ name: 'x', datatype: 'FP32', shape: [2, 2], data: [[1, 2], 3] }, limits), 'INVALID_DATA');
    throwsCode(() => decodeJsonTensor({ name: 'x', datatype: 'FP32', shape: [2, 2], data: [1, 2, [3], 4] }, limits), 'INVALID_DATA');
    throwsCode(() => decodeJsonTensor({ name: 'x', datatype: 'FP32', shape: [2, 1], data: [[[1]], [[2]]] }, limits), 'INVALID_DATA');
    throwsCode(() => decodeJsonTensor({ name: 'x', datatype: 'FP32', shape: [2], data: [[1], [2]] }, limits), 'INVALID_DATA');
    throwsCode(() => decodeJsonTensor({ name: 'x', datatype: 'FP32', shape: [2], data: 'ab' }, limits), 'INVALID_DATA');
  });

  test('rejects a tensor without data with INVALID_REQUEST', () => {
    throwsCode(() => decodeJsonTensor({ name: 'x', datatype: 'FP32', shape: [1] }, limits), 'INVALID_REQUEST');
  });

  test('takes only JS numbers for numeric types', () => {
    for (const bad of ['1', null, true, {}]) {
      throwsCode(() => decodeJsonTensor({ name: 'x', datatype: 'FP32', shape: [1], data: [bad] }, limits), 'INVALID_DATA');
      throwsCode(() => decodeJsonTensor({ name: 'x', datatype: 'INT32', shape: [1], data: [bad] }, limits), 'INVALID_DATA');
    }
  });

  test('rejects a fractional value for an integer type with INVALID_DATA', () => {
    throwsCode(() => decodeJsonTensor({ name: 'x', datatype: 'INT64', shape: [1], data: [1.5] }, limits), 'INVALID_DATA');
    throwsCode(() => decodeJsonTensor({ name: 'x', datatype: 'UINT8', shape: [1], data: [0.5] }, limits), 'INVALID_DATA');
  });

  const ranges: [string, number, number][] = [
    ['UINT8', 0, 255], ['INT8', -128, 127], ['UINT16', 0, 65535], ['INT16', -32768, 32767],
    ['UINT32', 0, 4294967295], ['INT32', -2147483648, 2147483647],
    ['UINT64', 0, Number.MAX_SAFE_INTEGER], ['INT64', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  ];
  for (const [datatype, min, max] of ranges) {
    test(`accepts ${datatype} at ${min} and ${max} and rejects one past either with VALUE_OUT_OF_RANGE`, () => {
      const ok = decodeJsonTensor({ name: 'x', datatype, shape: [2], data: [min, max] }, limits);
      assert.deepEqual(encodeJsonTensor(ok).data, [min, max]);
      // Past 2^53 "one more" is not representable; the next representable number is used.
      const above = max === Number.MAX_SAFE_INTEGER ? 2 ** 53 : max + 1;
      const below = min === Number.MIN_SAFE_INTEGER ? -(2 ** 53) : min - 1;
      throwsCode(() => decodeJsonTensor({ name: 'x', datatype, shape: [1], data: [above] }, limits), 'VALUE_OUT_OF_RANGE');
      throwsCode(() => decodeJsonTensor({ name: 'x', datatype, shape: [1], data: [below] }, limits), 'VALUE_OUT_OF_RANGE');
    });
  }

  test('rejects an FP32 value that would overflow to infinity with VALUE_OUT_OF_RANGE', () => {
    decodeJsonTensor({ name: 'x', datatype: 'FP32', shape: [1], data: [3.4e38] }, limits);
    throwsCode(() => decodeJsonTensor({ name: 'x', datatype: 'FP32', shape: [1], data: [3.5e38] }, limits), 'VALUE_OUT_OF_RANGE');
  });

  test('takes only true/false for BOOL and only strings for BYTES', () => {
    for (const bad of [0, 1, 'true', null]) {
      throwsCode(() => decodeJsonTensor({ name: 'x', datatype: 'BOOL', shape: [1], data: [bad] }, limits), 'INVALID_DATA');
    }
    for (const bad of [1, true, null, ['a']]) {
      throwsCode(() => decodeJsonTensor({ name: 'x', datatype: 'BYTES', shape: [1], data: [bad] }, limits), 'INVALID_DATA');
    }
  });

  test('never echoes the offending value in the error message', () => {
    assert.throws(
      () => decodeJsonTensor({ name: 'x', datatype: 'UINT8', shape: [2], data: [1, 987654] }, limits),
      (err: Error) => !err.message.includes('987654') && err.message.includes("'x'"),
    );
    assert.throws(
      () => decodeJsonTensor({ name: 'x', datatype: 'FP32', shape: [1], data: ['secret-token'] }, limits),
      (err: Error) => !err.message.includes('secret-token'),
    );
  });

  test('truncates a very long input name in messages to 64 characters', () => {
    const name = 'n'.repeat(500);
    assert.throws(
      () => decodeJsonTensor({ name, datatype: 'FP32', shape: [1], data: [] }, limits),
      (err: Error) => err.message.includes('n'.repeat(64)) && !err.message.includes('n'.repeat(65)),
    );
  });

  test('refuses to JSON-encode FP16 and BF16 outputs with INVALID_DATATYPE naming binary_data_output', () => {
    for (const datatype of ['FP16', 'BF16'] as const) {
      throwsCode(
        () => encodeJsonTensor({ name: 'y', datatype, shape: [1], data: new Uint16Array(1) }),
        'INVALID_DATATYPE',
        'binary_data_output',
      );
    }
  });
});
