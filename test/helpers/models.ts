/**
 * Tiny ONNX models for the test suites, built with Skein's graph builder, and a helper that
 * writes them into a model repository directory (`<repo>/<model>/<version>/model.onnx`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createGraphBuilder } from '../../src/builder/index.js';
import type { Dim } from '../../src/builder/index.js';
import type { DataType } from '../../src/tensor/index.js';

/**
 * The datatypes onnxruntime-node 1.30 can feed to and read from a model (checked with an
 * Identity model per datatype). BF16 is missing: the binding rejects a BF16 model input with
 * "Unsupported data type: 16" when the session is created, and `new Tensor('bfloat16', ...)`
 * throws "Unsupported tensor type". FP16 travels as raw bits in a Uint16Array.
 */
export const RUNTIME_DATATYPES: readonly DataType[] = [
  'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64',
  'INT8', 'INT16', 'INT32', 'INT64',
  'FP16', 'FP32', 'FP64', 'BYTES',
];

/** Writes `<repo>/<name>/<version>/model.onnx`, and `<repo>/<name>/config.yaml` when given. */
export async function writeModel(
  repoDir: string, name: string, version: number, bytes: Uint8Array, configYaml?: string,
): Promise<void> {
  const versionDir = join(repoDir, name, String(version));
  await mkdir(versionDir, { recursive: true });
  await writeFile(join(versionDir, 'model.onnx'), bytes);
  if (configYaml !== undefined) await writeFile(join(repoDir, name, 'config.yaml'), configYaml);
}

/** Input `x` → output `y`, unchanged. */
export function identityModel(datatype: DataType, dims: readonly Dim[] = ['batch', 4]): Uint8Array {
  return createGraphBuilder({ name: 'identity' })
    .input('x', datatype, dims)
    .node('Identity', ['x'], ['y'])
    .output('y', datatype, dims)
    .toBytes();
}

/** FP32 `x` → `y = x + c`; versions built with different `c` answer differently. */
export function addModel(c = 1, dims: readonly Dim[] = ['batch', 4]): Uint8Array {
  return createGraphBuilder({ name: 'add' })
    .input('x', 'FP32', dims)
    .initializer('c', 'FP32', [], [c])
    .node('Add', ['x', 'c'], ['y'])
    .output('y', 'FP32', dims)
    .toBytes();
}

/**
 * Two inputs of different datatypes and two outputs of different ranks:
 * a FP32 [batch,3], b INT64 [batch,1] → sum FP32 [batch,3] = a + float(b), idx INT64 [batch] =
 * argmax of a along axis 1 (the first index on ties).
 */
export function twoInOutModel(): Uint8Array {
  return createGraphBuilder({ name: 'two_in_out' })
    .input('a', 'FP32', ['batch', 3])
    .input('b', 'INT64', ['batch', 1])
    .node('Cast', ['b'], ['b_float'], { to: 1 })
    .node('Add', ['a', 'b_float'], ['sum'])
    .node('ArgMax', ['a'], ['idx'], { axis: 1, keepdims: 0 })
    .output('sum', 'FP32', ['batch', 3])
    .output('idx', 'INT64', ['batch'])
    .toBytes();
}

/** x FP32 [1,4] → y = x, with no batch axis: the batcher must never merge its requests. */
export function fixedBatchModel(): Uint8Array {
  return identityModel('FP32', [1, 4]);
}

/** Side of the internal square matrices in slowModel; see its comment for the cost. */
const SLOW_SIDE = 640;

/**
 * FP32 x [batch,4] → y = x exactly, after `work` chained [640,640]×[640,640] MatMuls that the
 * runtime cannot skip: the chain starts from ReduceSum(x), so it is not constant-folded, and its
 * cost does not depend on the batch size. The matrices hold zeros and the result only selects
 * through `Where(s > 3e38, ...)`, which is always false (0 and NaN compare false), so y equals x
 * bit for bit, Inf and NaN included.
 * Measured with onnxruntime-node 1.30 default session options on the 2-core dev box:
 * work=10 takes about 24 ms per run at batch 1 or 64 (work=1 about 2.6 ms), model file 1.6 MB.
 */
export function slowModel(work: number): Uint8Array {
  if (!Number.isInteger(work) || work < 1) throw new Error('slowModel work must be a positive integer');
  const g = createGraphBuilder({ name: 'slow' })
    .input('x', 'FP32', ['batch', 4])
    .initializer('square_shape', 'INT64', [2], [SLOW_SIDE, SLOW_SIDE])
    .initializer('weights', 'FP32', [SLOW_SIDE, SLOW_SIDE], new Float32Array(SLOW_SIDE * SLOW_SIDE))
    .initializer('huge', 'FP32', [], [3e38])
    .node('ReduceSum', ['x'], ['x_sum'], { keepdims: 1 })
    .node('Expand', ['x_sum', 'square_shape'], ['h0']);
  for (let i = 0; i < work; i++) g.node('MatMul', [`h${i}`, 'weights'], [`h${i + 1}`]);
  return g
    .node('ReduceSum', [`h${work}`], ['s'], { keepdims: 1 })
    .node('Greater', ['s', 'huge'], ['never'])
    .node('Mul', ['x', 's'], ['x_times_s'])
    .node('Where', ['never', 'x_times_s', 'x'], ['y'])
    .output('y', 'FP32', ['batch', 4])
    .toBytes();
}

/** Bytes that are not an ONNX model: loading them must fail with a coded error, not a crash. */
export function brokenModelBytes(): Uint8Array {
  return new TextEncoder().encode('this is not an ONNX model\n');
}

/**
 * FP32 `x` [batch,4] → `y`, but every run fails inside onnxruntime (a Gather index computed from
 * the input is far out of range), so loading works and inference answers INFERENCE_FAILED.
 * Zero-filled warmup fails too: serve it with `warmup: {enabled: false}`.
 */
export function failingModel(): Uint8Array {
  return createGraphBuilder({ name: 'failing' })
    .input('x', 'FP32', ['batch', 4])
    .initializer('table', 'FP32', [2], [0, 0])
    .initializer('far', 'FP32', [], [1000])
    .node('ReduceSum', ['x'], ['s'], { keepdims: 0 })
    .node('Abs', ['s'], ['a'])
    .node('Add', ['a', 'far'], ['f'])
    .node('Cast', ['f'], ['i'], { to: 7 })
    .node('Gather', ['table', 'i'], ['g'])
    .node('Add', ['x', 'g'], ['y'])
    .output('y', 'FP32', ['batch', 4])
    .toBytes();
}
