import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServingError, type ErrorCode } from '../errors/index.js';
import { binaryByteSize, decodeBinaryTensor, encodeBinaryTensor, type Tensor } from './index.js';

const limits = { maxTensorElements: 1000 };

function throwsCode(fn: () => unknown, code: ErrorCode): void {
  assert.throws(fn, (err: unknown) => err instanceof ServingError && err.code === code);
}

const samples: Tensor[] = [
  { name: 'x', datatype: 'BOOL', shape: [2, 2], data: Uint8Array.from([1, 0, 0, 1]) },
  { name: 'x', datatype: 'UINT8', shape: [2, 2], data: Uint8Array.from([0, 1, 254, 255]) },
  { name: 'x', datatype: 'INT8', shape: [2, 2], data: Int8Array.from([-128, -1, 0, 127]) },
  { name: 'x', datatype: 'UINT16', shape: [2, 2], data: Uint16Array.from([0, 1, 2, 65535]) },
  { name: 'x', datatype: 'INT16', shape: [2, 2], data: Int16Array.from([-32768, -1, 0, 32767]) },
  { name: 'x', datatype: 'FP16', shape: [2, 2], data: Uint16Array.from([0x3c00, 0xbc00, 0x7c00, 0]) },
  { name: 'x', datatype: 'BF16', shape: [2, 2], data: Uint16Array.from([0x3f80, 0xbf80, 0x7f80, 0]) },
  { name: 'x', datatype: 'UINT32', shape: [2, 2], data: Uint32Array.from([0, 1, 2, 4294967295]) },
  { name: 'x', datatype: 'INT32', shape: [2, 2], data: Int32Array.from([-2147483648, -1, 0, 2147483647]) },
  { name: 'x', datatype: 'FP32', shape: [2, 2], data: Float32Array.from([0, -1.5, 0.25, 3e38]) },
  { name: 'x', datatype: 'FP64', shape: [2, 2], data: Float64Array.from([0, -1.5, 0.1, 1e300]) },
  { name: 'x', datatype: 'UINT64', shape: [2, 2], data: BigUint64Array.from([0n, 1n, 2n ** 63n, 2n ** 64n - 1n]) },
  { name: 'x', datatype: 'INT64', shape: [2, 2], data: BigInt64Array.from([-(2n ** 63n), -1n, 0n, 2n ** 63n - 1n]) },
  { name: 'x', datatype: 'BYTES', shape: [2, 2], data: ['', 'a', 'héllo wörld', '日本語🧶'] },
];

/** `bytes` placed at an odd offset inside a larger buffer, as a slice of a request body would be. */
function unaligned(bytes: Uint8Array): Uint8Array {
  const host = new Uint8Array(bytes.byteLength + 3);
  host.set(bytes, 1);
  return host.subarray(1, 1 + bytes.byteLength);
}

function bytesElements(...parts: (string | number[])[]): Uint8Array {
  const chunks = parts.map((p) => {
    const b = typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p);
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32LE(b.byteLength);
    return Buffer.concat([prefix, b]);
  });
  return new Uint8Array(Buffer.concat(chunks));
}

describe('decodeBinaryTensor and encodeBinaryTensor', () => {
  for (const t of samples) {
    test(`round-trips ${t.datatype} through the binary form, from an unaligned slice`, () => {
      const bytes = encodeBinaryTensor(t);
      assert.equal(bytes.byteLength, binaryByteSize(t));
      const back = decodeBinaryTensor({ name: 'x', datatype: t.datatype, shape: [2, 2] }, unaligned(bytes), limits);
      assert.deepEqual(back, t);
      assert.equal(back.data.constructor, t.data.constructor);
    });
  }

  test('lays out fixed-size elements little-endian', () => {
    const bytes = encodeBinaryTensor({ name: 'x', datatype: 'INT32', shape: [1], data: Int32Array.from([0x01020304]) });
    assert.deepEqual([...bytes], [4, 3, 2, 1]);
  });

  test('encodes BYTES as u32 little-endian lengths of UTF-8 bytes', () => {
    const bytes = encodeBinaryTensor({ name: 'x', datatype: 'BYTES', shape: [2], data: ['é', 'ab'] });
    assert.deepEqual([...bytes], [2, 0, 0, 0, 0xc3, 0xa9, 2, 0, 0, 0, 0x61, 0x62]);
    assert.equal(binaryByteSize({ name: 'x', datatype: 'BYTES', shape: [2], data: ['é', 'ab'] }), 12);
  });

  test('decodes multibyte UTF-8 BYTES elements', () => {
    const t = decodeBinaryTensor({ name: 's', datatype: 'BYTES', shape: [3] }, bytesElements('ñ', '🧶yarn', ''), limits);
    assert.deepEqual(t.data, ['ñ', '🧶yarn', '']);
  });

  test('does not alias the request bytes', () => {
    const source = Uint8Array.from([1, 2, 3, 4]);
    const t = decodeBinaryTensor({ name: 'x', datatype: 'UINT8', shape: [4] }, source, limits);
    source[0] = 9;
    assert.equal((t.data as Uint8Array)[0], 1);
  });

  test('rejects a byte length one short or one long of count × element size with BINARY_SIZE_MISMATCH', () => {
    const spec = { name: 'x', datatype: 'FP32', shape: [2, 2] };
    decodeBinaryTensor(spec, new Uint8Array(16), limits);
    throwsCode(() => decodeBinaryTensor(spec, new Uint8Array(15), limits), 'BINARY_SIZE_MISMATCH');
    throwsCode(() => decodeBinaryTensor(spec, new Uint8Array(17), limits), 'BINARY_SIZE_MISMATCH');
  });

  test('rejects BOOL bytes other than 0 and 1 with INVALID_DATA', () => {
    throwsCode(() => decodeBinaryTensor({ name: 'b', datatype: 'BOOL', shape: [3] }, Uint8Array.from([0, 1, 2]), limits), 'INVALID_DATA');
  });

  test('rejects a truncated BYTES length prefix with BINARY_SIZE_MISMATCH', () => {
    const whole = bytesElements('ab', 'cd');
    throwsCode(() => decodeBinaryTensor({ name: 's', datatype: 'BYTES', shape: [2] }, whole.subarray(0, 8), limits), 'BINARY_SIZE_MISMATCH');
  });

  test('rejects a BYTES element longer than the bytes left with BINARY_SIZE_MISMATCH', () => {
    const whole = bytesElements('ab', 'cd');
    throwsCode(() => decodeBinaryTensor({ name: 's', datatype: 'BYTES', shape: [2] }, whole.subarray(0, whole.length - 1), limits), 'BINARY_SIZE_MISMATCH');
  });

  test('rejects BYTES with fewer or more elements than the shape with BINARY_SIZE_MISMATCH', () => {
    const three = bytesElements('a', 'b', 'c');
    decodeBinaryTensor({ name: 's', datatype: 'BYTES', shape: [3] }, three, limits);
    throwsCode(() => decodeBinaryTensor({ name: 's', datatype: 'BYTES', shape: [4] }, three, limits), 'BINARY_SIZE_MISMATCH');
    throwsCode(() => decodeBinaryTensor({ name: 's', datatype: 'BYTES', shape: [2] }, three, limits), 'BINARY_SIZE_MISMATCH');
  });

  test('rejects BYTES that are not valid UTF-8 with INVALID_DATA', () => {
    throwsCode(() => decodeBinaryTensor({ name: 's', datatype: 'BYTES', shape: [1] }, bytesElements([0xff, 0xfe]), limits), 'INVALID_DATA');
  });

  test('applies the element limit at the bound and one past it', () => {
    decodeBinaryTensor({ name: 'x', datatype: 'UINT8', shape: [1000] }, new Uint8Array(1000), limits);
    throwsCode(() => decodeBinaryTensor({ name: 'x', datatype: 'UINT8', shape: [1001] }, new Uint8Array(1001), limits), 'TOO_MANY_ELEMENTS');
  });

  test('checks datatype and shape like the JSON decoder', () => {
    throwsCode(() => decodeBinaryTensor({ name: 'x', datatype: 'FLOAT32', shape: [1] }, new Uint8Array(4), limits), 'INVALID_DATATYPE');
    throwsCode(() => decodeBinaryTensor({ name: 'x', datatype: 'FP32', shape: [-1] }, new Uint8Array(4), limits), 'INVALID_SHAPE');
  });

  test('asserts that a tensor to encode holds as many elements as its shape says', () => {
    assert.throws(() => encodeBinaryTensor({ name: 'x', datatype: 'FP32', shape: [3], data: new Float32Array(2) }), /holds 2 elements/);
  });
});
