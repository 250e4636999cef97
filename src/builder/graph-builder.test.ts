import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { createGraphBuilder, floatAttr, intsAttr, PRODUCER_NAME, tensorAttr } from './index.js';

const { onnx } = onnxProto;

function logisticRegression(weights: Float32Array, bias: number): Uint8Array {
  return createGraphBuilder({ name: 'purchase', docString: 'logistic regression' })
    .input('x', 'FP32', ['batch', weights.length])
    .initializer('w', 'FP32', [weights.length, 1], weights)
    .initializer('b', 'FP32', [1], [bias])
    .node('MatMul', ['x', 'w'], ['xw'])
    .node('Add', ['xw', 'b'], ['logit'])
    .node('Sigmoid', ['logit'], ['p'])
    .output('p', 'FP32', ['batch', 1])
    .metadata('trained_by', 'test')
    .toBytes();
}

describe('createGraphBuilder', () => {
  test('a logistic-regression graph runs in onnxruntime-node and matches the same sums in JavaScript', async () => {
    const features = 16;
    const weights = Float32Array.from({ length: features }, (_, i) => Math.sin(i + 1) / 2);
    const bias = -0.25;
    const session = await ort.InferenceSession.create(logisticRegression(weights, bias));
    const rows = 5;
    const x = Float32Array.from({ length: rows * features }, (_, i) => Math.cos(i * 0.7));
    const out = await session.run({ x: new ort.Tensor('float32', x, [rows, features]) });
    const p = out.p!;
    assert.deepEqual(p.dims, [rows, 1]);
    for (let r = 0; r < rows; r++) {
      let logit = bias;
      for (let f = 0; f < features; f++) logit += x[r * features + f]! * weights[f]!;
      assert.ok(Math.abs((p.data as Float32Array)[r]! - 1 / (1 + Math.exp(-logit))) < 1e-6);
    }
    await session.release();
  });

  test('writes ir_version 8, opset 17 by default, the producer name, doc string and metadata', () => {
    const model = onnx.ModelProto.decode(logisticRegression(new Float32Array(4), 0));
    assert.equal(Number(model.irVersion), 8);
    assert.deepEqual(model.opsetImport.map((o) => [o.domain, Number(o.version)]), [['', 17]]);
    assert.equal(model.producerName, PRODUCER_NAME);
    assert.equal(model.docString, 'logistic regression');
    assert.deepEqual(model.metadataProps.map((m) => [m.key, m.value]), [['trained_by', 'test']]);
    const dims = model.graph?.input?.[0]?.type?.tensorType?.shape?.dim ?? [];
    assert.equal(dims[0]!.dimParam, 'batch');
    assert.equal(Number(dims[1]!.dimValue), 4);
  });

  test('imports the opset of every extra domain a node uses', () => {
    const bytes = createGraphBuilder({ name: 'ml', domainOpsets: { 'ai.onnx.ml': 2 } })
      .input('x', 'FP32', ['batch', 2])
      .node('Normalizer', ['x'], ['y'], { norm: 'L1' }, { domain: 'ai.onnx.ml' })
      .output('y', 'FP32', ['batch', 2])
      .toBytes();
    const model = onnx.ModelProto.decode(bytes);
    assert.deepEqual(model.opsetImport.map((o) => [o.domain, Number(o.version)]), [['', 17], ['ai.onnx.ml', 2]]);
  });

  test('encodes int, float, string, ints, floats, strings and tensor attributes so the runtime accepts them', async () => {
    const bytes = createGraphBuilder({ name: 'attrs' })
      .input('a', 'FP32', ['batch', 2])
      .input('b', 'FP32', [2, 2])
      .node('Gemm', ['a', 'b'], ['gemm'], { alpha: floatAttr(2), beta: 0.5, transB: 1 })
      .node('Constant', [], ['k'], { value: tensorAttr('FP32', [2], [10, 20]) })
      .node('Add', ['gemm', 'k'], ['y'])
      .node('Transpose', ['y'], ['yt'], { perm: intsAttr([1, 0]) })
      .node('Constant', [], ['f'], { value_floats: [0.5, 1.5] })
      .node('Constant', [], ['s'], { value_strings: ['x', 'y'] })
      .node('Constant', [], ['i'], { value_ints: [3, 4] })
      .node('Constant', [], ['one'], { value_string: 'one' })
      .output('yt', 'FP32', [2, 'batch'])
      .output('f', 'FP32', [2])
      .output('s', 'BYTES', [2])
      .output('i', 'INT64', [2])
      .output('one', 'BYTES', [])
      .toBytes();
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({
      a: new ort.Tensor('float32', Float32Array.from([1, 2]), [1, 2]),
      b: new ort.Tensor('float32', Float32Array.from([1, 0, 0, 1]), [2, 2]),
    });
    // 2 * a·bᵀ + [10, 20] = [12, 24], transposed to [2, 1].
    assert.deepEqual(Array.from(out.yt!.data as Float32Array), [12, 24]);
    assert.deepEqual(out.yt!.dims, [2, 1]);
    assert.deepEqual(Array.from(out.f!.data as Float32Array), [0.5, 1.5]);
    assert.deepEqual(out.s!.data, ['x', 'y']);
    assert.deepEqual(Array.from(out.i!.data as BigInt64Array), [3n, 4n]);
    assert.deepEqual(out.one!.data, ['one']);
    await session.release();
  });

  test('stores INT64 initializers and attributes beyond 2^53 exactly', async () => {
    const big = 9223372036854775807n;
    const bytes = createGraphBuilder({ name: 'big' })
      .initializer('k', 'INT64', [2], [big, -5n])
      .node('Identity', ['k'], ['y'])
      .node('Constant', [], ['attr'], { value_int: -(2n ** 60n) - 3n })
      .output('y', 'INT64', [2])
      .output('attr', 'INT64', [])
      .toBytes();
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({});
    assert.deepEqual(Array.from(out.y!.data as BigInt64Array), [big, -5n]);
    assert.deepEqual(Array.from(out.attr!.data as BigInt64Array), [-(2n ** 60n) - 3n]);
    await session.release();
  });

  test('builds the same bytes for the same calls', () => {
    const w = Float32Array.from([1, 2, 3]);
    assert.deepEqual(logisticRegression(w, 1), logisticRegression(w, 1));
  });

  test('rejects a value defined twice, a node input nothing defines, and an output nothing produces', () => {
    const g = createGraphBuilder({ name: 'bad' }).input('x', 'FP32', [1]);
    assert.throws(() => g.input('x', 'FP32', [1]), /x is defined twice/);
    assert.throws(() => g.node('Relu', ['missing'], ['y']), /reads missing/);
    assert.throws(() => g.output('nothing', 'FP32', [1]), /not produced/);
  });

  test('rejects initializer data that does not fill its dims', () => {
    const g = createGraphBuilder({ name: 'bad' });
    assert.throws(() => g.initializer('w', 'FP32', [2, 2], [1, 2, 3]), /3 elements but its dims hold 4/);
    assert.throws(() => g.initializer('s', 'BYTES', [2], ['a']), /1 strings but its dims hold 2/);
  });

  test('rejects a graph with no outputs and a domain with no known opset', () => {
    assert.throws(() => createGraphBuilder({ name: 'empty' }).toBytes(), /declares no outputs/);
    const g = createGraphBuilder({ name: 'custom' })
      .input('x', 'FP32', [1])
      .node('Thing', ['x'], ['y'], {}, { domain: 'com.example' })
      .output('y', 'FP32', [1]);
    assert.throws(() => g.toBytes(), /com\.example is used but has no opset/);
  });
});
