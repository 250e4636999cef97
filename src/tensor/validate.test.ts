import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServingError, type ErrorCode } from '../errors/index.js';
import { batchKeyOf, validateInputs, validateRequestedOutputs, type Signature, type Tensor } from './index.js';

function throwsCode(fn: () => unknown, code: ErrorCode, message?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ServingError, String(err));
    assert.equal(err.code, code);
    if (message !== undefined) assert.equal(err.message, message);
    return true;
  });
}

const signature: Signature = {
  inputs: [
    { name: 'image', datatype: 'FP32', shape: [-1, 1, 8, 8] },
    { name: 'ids', datatype: 'INT64', shape: [-1, 3] },
  ],
  outputs: [
    { name: 'probs', datatype: 'FP32', shape: [-1, 10] },
    { name: 'label', datatype: 'INT64', shape: [-1] },
  ],
};

function image(batch: number, last = 8): Tensor {
  return { name: 'image', datatype: 'FP32', shape: [batch, 1, 8, last], data: new Float32Array(batch * 8 * last) };
}
function ids(batch: number, datatype: 'INT64' | 'INT32' = 'INT64'): Tensor {
  const data = datatype === 'INT64' ? new BigInt64Array(batch * 3) : new Int32Array(batch * 3);
  return { name: 'ids', datatype, shape: [batch, 3], data };
}

describe('validateInputs', () => {
  test('returns the inputs in signature order whatever order they came in', () => {
    const out = validateInputs([ids(2), image(2)], signature, { maxBatchSize: 4 });
    assert.deepEqual(out.map((t) => t.name), ['image', 'ids']);
  });

  test('rejects a name given twice with DUPLICATE_INPUT', () => {
    throwsCode(() => validateInputs([image(1), image(1), ids(1)], signature, { maxBatchSize: 4 }), 'DUPLICATE_INPUT');
  });

  test('rejects a name the model does not have with UNKNOWN_INPUT', () => {
    throwsCode(() => validateInputs([image(1), ids(1), { ...ids(1), name: 'idz' }], signature, { maxBatchSize: 4 }), 'UNKNOWN_INPUT');
  });

  test('rejects a request lacking an input with MISSING_INPUT', () => {
    throwsCode(() => validateInputs([image(1)], signature, { maxBatchSize: 4 }), 'MISSING_INPUT', "input 'ids' is required");
  });

  test('rejects the wrong datatype with INVALID_DATATYPE saying both types', () => {
    throwsCode(() => validateInputs([image(1), ids(1, 'INT32')], signature, { maxBatchSize: 4 }), 'INVALID_DATATYPE', "input 'ids' expects INT64, got INT32");
  });

  test('rejects a fixed dimension that differs, or a different rank, with INVALID_SHAPE', () => {
    throwsCode(
      () => validateInputs([image(1, 7), ids(1)], signature, { maxBatchSize: 4 }),
      'INVALID_SHAPE',
      "input 'image' expects shape [-1,1,8,8], got [1,1,8,7]",
    );
    const flat: Tensor = { name: 'image', datatype: 'FP32', shape: [1, 64], data: new Float32Array(64) };
    throwsCode(() => validateInputs([flat, ids(1)], signature, { maxBatchSize: 4 }), 'INVALID_SHAPE');
  });

  test('accepts a batch of exactly maxBatchSize and rejects one more with TOO_MANY_ELEMENTS naming the max', () => {
    validateInputs([image(4), ids(4)], signature, { maxBatchSize: 4 });
    assert.throws(
      () => validateInputs([image(5), ids(5)], signature, { maxBatchSize: 4 }),
      (err: unknown) => err instanceof ServingError && err.code === 'TOO_MANY_ELEMENTS' && err.message.includes('at most 4'),
    );
  });

  test('rejects inputs whose batch dimensions differ with INVALID_SHAPE', () => {
    throwsCode(() => validateInputs([image(2), ids(3)], signature, { maxBatchSize: 4 }), 'INVALID_SHAPE');
  });

  test('rejects a batch of zero rows with INVALID_SHAPE when the model batches', () => {
    throwsCode(() => validateInputs([image(0), ids(0)], signature, { maxBatchSize: 4 }), 'INVALID_SHAPE');
  });

  test('does not limit dimension 0 when maxBatchSize is 0', () => {
    validateInputs([image(50), ids(3)], signature, { maxBatchSize: 0 });
  });
});

describe('validateRequestedOutputs', () => {
  test('accepts known outputs named once', () => {
    validateRequestedOutputs(['label', 'probs'], signature);
    validateRequestedOutputs([], signature);
  });

  test('rejects an unknown output with UNKNOWN_OUTPUT', () => {
    throwsCode(() => validateRequestedOutputs(['logits'], signature), 'UNKNOWN_OUTPUT');
  });

  test('rejects an output named twice with INVALID_REQUEST', () => {
    throwsCode(() => validateRequestedOutputs(['label', 'label'], signature), 'INVALID_REQUEST');
  });
});

describe('batchKeyOf', () => {
  test('is equal for requests that differ only in batch size', () => {
    assert.equal(batchKeyOf([image(1), ids(1)]), batchKeyOf([image(3), ids(3)]));
  });

  test('differs when any non-batch dimension or datatype differs', () => {
    const base = batchKeyOf([image(1), ids(1)]);
    assert.notEqual(base, batchKeyOf([image(1, 7), ids(1)]));
    assert.notEqual(base, batchKeyOf([image(1), ids(1, 'INT32')]));
    const wide: Tensor = { name: 'ids', datatype: 'INT64', shape: [1, 4], data: new BigInt64Array(4) };
    assert.notEqual(base, batchKeyOf([image(1), wide]));
  });

  test('differs for names and shapes that would run together when joined', () => {
    const t = (name: string, shape: number[]): Tensor => ({ name, datatype: 'FP32', shape, data: new Float32Array(0) });
    assert.notEqual(batchKeyOf([t('a|FP32|', [1, 2])]), batchKeyOf([t('a', [1, 2])]));
    assert.notEqual(batchKeyOf([t('ab', [1]), t('c', [1])]), batchKeyOf([t('a', [1]), t('bc', [1])]));
    assert.notEqual(batchKeyOf([t('x', [1, 12])]), batchKeyOf([t('x', [1, 1, 2])]));
    assert.notEqual(batchKeyOf([t('x', [1, 2])]), batchKeyOf([t('x', [1, 2, 1])]));
    assert.equal(batchKeyOf([t('x;1:y', [4, 3])]), batchKeyOf([t('x;1:y', [9, 3])]));
  });
});

test('a BYTES value holding NUL is refused with INVALID_DATA rather than cut by the runtime', () => {
  const signature = { inputs: [{ name: 'q', datatype: 'BYTES' as const, shape: [-1, 1] }], outputs: [] };
  const tensor = { name: 'q', datatype: 'BYTES' as const, shape: [1, 1], data: ['a\u0000b'] };
  assert.throws(() => validateInputs([tensor], signature, { maxBatchSize: 8 }), (err: ServingError) => err.code === 'INVALID_DATA');
  assert.doesNotThrow(() => validateInputs([{ ...tensor, data: ['ab'] }], signature, { maxBatchSize: 8 }));
});
