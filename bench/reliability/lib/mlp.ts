/** The ~10 MB model of scenario 4: y = Relu(x · W + b), x FP32 [batch, 1600], W [1600, 1600]. */
import { createGraphBuilder } from '../../../src/builder/index.js';

export const MLP_SIDE = 1600;

/** Deterministic weights in [-0.5, 0.5): non-zero, so no runtime can store them sparsely. */
function weights(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

/** 1600 × 1600 FP32 weights: 10.24 MB in the file and in each session that loads it. */
export function mlpModel(seed = 1): Uint8Array {
  return createGraphBuilder({ name: 'mlp' })
    .input('x', 'FP32', ['batch', MLP_SIDE])
    .initializer('w', 'FP32', [MLP_SIDE, MLP_SIDE], weights(MLP_SIDE * MLP_SIDE, seed))
    .initializer('b', 'FP32', [MLP_SIDE], weights(MLP_SIDE, seed + 1))
    .node('MatMul', ['x', 'w'], ['xw'])
    .node('Add', ['xw', 'b'], ['pre'])
    .node('Relu', ['pre'], ['y'])
    .output('y', 'FP32', ['batch', MLP_SIDE])
    .toBytes();
}
