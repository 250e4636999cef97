import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import type { DataType } from '../../src/tensor/index.js';
import {
  addModel, brokenModelBytes, fixedBatchModel, identityModel, RUNTIME_DATATYPES, slowModel,
  twoInOutModel, writeModel,
} from './models.js';

// onnxruntime-node's Tensor has no bfloat16 type at all, hence Partial.
const ORT_TYPE: Partial<Record<DataType, ort.Tensor.Type>> = {
  BOOL: 'bool', UINT8: 'uint8', INT8: 'int8', UINT16: 'uint16', INT16: 'int16', UINT32: 'uint32',
  INT32: 'int32', INT64: 'int64', UINT64: 'uint64', FP16: 'float16', FP32: 'float32',
  FP64: 'float64', BYTES: 'string',
};

function sampleData(datatype: DataType): ArrayLike<unknown> {
  switch (datatype) {
    case 'BYTES': return ['a', 'bb', '', 'é'];
    case 'INT64': return BigInt64Array.from([1n, -2n, 3n, -4n]);
    case 'UINT64': return BigUint64Array.from([1n, 2n, 3n, 2n ** 63n]);
    case 'BOOL': return Uint8Array.from([1, 0, 1, 0]);
    case 'FP16': return Uint16Array.from([0x3c00, 0xc000, 0, 0x7c00]);
    case 'INT8': return Int8Array.from([1, -2, 3, -4]);
    case 'INT16': return Int16Array.from([1, -2, 3, -4]);
    case 'INT32': return Int32Array.from([1, -2, 3, -4]);
    case 'UINT8': return Uint8Array.from([1, 2, 3, 255]);
    case 'UINT16': return Uint16Array.from([1, 2, 3, 65535]);
    case 'UINT32': return Uint32Array.from([1, 2, 3, 4294967295]);
    case 'FP64': return Float64Array.from([0.1, -2, 3, 4]);
    default: return Float32Array.from([0.5, -2, 3, 4]);
  }
}

async function runOnce(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

function f32(values: number[], dims: number[]): ort.Tensor {
  return new ort.Tensor('float32', Float32Array.from(values), dims);
}

describe('test models', () => {
  for (const datatype of RUNTIME_DATATYPES) {
    test(`identityModel(${datatype}) returns its input unchanged`, async () => {
      const data = sampleData(datatype);
      const type = ORT_TYPE[datatype];
      assert.ok(type !== undefined);
      const x = new ort.Tensor(type, data as never, [1, 4]);
      const out = await runOnce(identityModel(datatype), { x });
      assert.deepEqual(out.y!.dims, [1, 4]);
      assert.deepEqual(Array.from(out.y!.data as ArrayLike<unknown>), Array.from(data));
    });
  }

  test('onnxruntime-node cannot load a BF16 model, which is why RUNTIME_DATATYPES leaves BF16 out', async () => {
    assert.ok(!RUNTIME_DATATYPES.includes('BF16'));
    await assert.rejects(ort.InferenceSession.create(identityModel('BF16')), /Unsupported data type/);
  });

  test('addModel adds its constant, so versions built with different constants answer differently', async () => {
    const x = f32([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);
    const one = await runOnce(addModel(), { x });
    const ten = await runOnce(addModel(10), { x });
    assert.deepEqual(Array.from(one.y!.data as Float32Array), [2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(Array.from(ten.y!.data as Float32Array), [11, 12, 13, 14, 15, 16, 17, 18]);
  });

  test('twoInOutModel adds the cast INT64 input and returns the argmax of a', async () => {
    const out = await runOnce(twoInOutModel(), {
      a: f32([1, 5, 2, 9, 0, 9], [2, 3]),
      b: new ort.Tensor('int64', BigInt64Array.from([10n, -1n]), [2, 1]),
    });
    assert.deepEqual(Array.from(out.sum!.data as Float32Array), [11, 15, 12, 8, -1, 8]);
    assert.deepEqual(out.idx!.dims, [2]);
    assert.deepEqual(Array.from(out.idx!.data as BigInt64Array), [1n, 0n]);
  });

  test('fixedBatchModel accepts batch 1 and rejects batch 2', async () => {
    const session = await ort.InferenceSession.create(fixedBatchModel());
    const out = await session.run({ x: f32([1, 2, 3, 4], [1, 4]) });
    assert.deepEqual(Array.from(out.y!.data as Float32Array), [1, 2, 3, 4]);
    await assert.rejects(session.run({ x: f32([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]) }));
    await session.release();
  });

  test('slowModel returns its input exactly, Inf and NaN included', async () => {
    const values = [1.5, -0, Infinity, NaN, 3e38, -7, 0.1, 2];
    const out = await runOnce(slowModel(2), { x: f32(values, [2, 4]) });
    assert.deepEqual(Array.from(out.y!.data as Float32Array), Array.from(Float32Array.from(values)));
  });

  test('slowModel rejects a work count below 1', () => {
    assert.ok(slowModel(1).length > 0);
    assert.throws(() => slowModel(0), /positive integer/);
  });

  test('brokenModelBytes is refused by onnxruntime-node', async () => {
    await assert.rejects(ort.InferenceSession.create(brokenModelBytes()));
  });

  describe('writeModel', () => {
    let repoDir = '';
    after(async () => { if (repoDir !== '') await rm(repoDir, { recursive: true, force: true }); });

    test('writes <repo>/<name>/<version>/model.onnx and <repo>/<name>/config.yaml', async () => {
      repoDir = await mkdtemp(join(tmpdir(), 'skein-models-'));
      const bytes = addModel(3);
      await writeModel(repoDir, 'adder', 2, bytes, 'maxBatchSize: 8\n');
      assert.deepEqual(new Uint8Array(await readFile(join(repoDir, 'adder', '2', 'model.onnx'))), bytes);
      assert.equal(await readFile(join(repoDir, 'adder', 'config.yaml'), 'utf8'), 'maxBatchSize: 8\n');
    });
  });
});
