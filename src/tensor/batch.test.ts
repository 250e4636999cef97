import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { concatBatch, splitBatch, type Tensor } from './index.js';

function rowsOf(name: string, rows: number, start: number): Tensor {
  return { name, datatype: 'FP32', shape: [rows, 2], data: Float32Array.from({ length: rows * 2 }, (_, i) => start + i) };
}
function words(rows: number, prefix: string): Tensor {
  return { name: 'w', datatype: 'BYTES', shape: [rows], data: Array.from({ length: rows }, (_, i) => `${prefix}${i}`) };
}
function ints(rows: number, start: number): Tensor {
  return { name: 'n', datatype: 'INT64', shape: [rows, 1], data: BigInt64Array.from({ length: rows }, (_, i) => BigInt(start + i)) };
}

describe('concatBatch', () => {
  test('stacks requests of 1, 3 and 2 rows along dimension 0 for every input', () => {
    const items = [
      [rowsOf('x', 1, 0), words(1, 'a'), ints(1, 0)],
      [rowsOf('x', 3, 2), words(3, 'b'), ints(3, 1)],
      [rowsOf('x', 2, 8), words(2, 'c'), ints(2, 4)],
    ];
    const [x, w, n] = concatBatch(items);
    assert.deepEqual(x!.shape, [6, 2]);
    assert.deepEqual([...(x!.data as Float32Array)], Array.from({ length: 12 }, (_, i) => i));
    assert.ok(x!.data instanceof Float32Array);
    assert.deepEqual(w, { name: 'w', datatype: 'BYTES', shape: [6], data: ['a0', 'b0', 'b1', 'b2', 'c0', 'c1'] });
    assert.deepEqual([...(n!.data as BigInt64Array)], [0n, 1n, 2n, 3n, 4n, 5n]);
    assert.ok(n!.data instanceof BigInt64Array);
  });

  test('passes a single request through without copying', () => {
    const inputs = [rowsOf('x', 2, 0)];
    const out = concatBatch([inputs]);
    assert.equal(out, inputs);
    assert.equal(out[0]!.data, inputs[0]!.data);
  });

  test('asserts on inputs that cannot stack', () => {
    assert.throws(() => concatBatch([[rowsOf('x', 1, 0)], [{ ...rowsOf('x', 1, 0), shape: [2, 1] }]]), /cannot stack/);
    assert.throws(() => concatBatch([[rowsOf('x', 1, 0)], [rowsOf('y', 1, 0)]]), /cannot stack/);
    assert.throws(() => concatBatch([[rowsOf('x', 1, 0)], [rowsOf('x', 1, 0), words(1, 'a')]]), /inputs/);
    assert.throws(() => concatBatch([]), /at least one/);
  });
});

describe('splitBatch', () => {
  test('is the inverse of concatBatch for requests of different row counts', () => {
    const items = [
      [rowsOf('x', 2, 0), words(2, 'a'), ints(2, 0)],
      [rowsOf('x', 1, 4), words(1, 'b'), ints(1, 2)],
      [rowsOf('x', 3, 6), words(3, 'c'), ints(3, 3)],
    ];
    assert.deepEqual(splitBatch(concatBatch(items), [2, 1, 3]), items);
  });

  test('gives each request its own buffer', () => {
    const parts = splitBatch([rowsOf('x', 3, 0)], [1, 2]);
    const a = parts[0]![0]!.data as Float32Array;
    const b = parts[1]![0]!.data as Float32Array;
    assert.notEqual(a.buffer, b.buffer);
    assert.equal(a.byteOffset, 0);
    assert.equal(a.buffer.byteLength, a.byteLength);
  });

  test('handles a request of zero rows', () => {
    const parts = splitBatch([rowsOf('x', 2, 0)], [0, 2]);
    assert.deepEqual(parts[0]![0]!.shape, [0, 2]);
    assert.equal(parts[1]![0]!.data.length, 4);
  });

  test('asserts when the rows do not add up to the outputs’ batch dimension', () => {
    assert.throws(() => splitBatch([rowsOf('x', 3, 0)], [1, 1]), /cannot be split/);
    assert.throws(() => splitBatch([rowsOf('x', 3, 0)], [4, -1]), /non-negative/);
  });
});
