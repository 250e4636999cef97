/**
 * Trains the purchase models in plain TypeScript: a dense network with ReLU hidden layers and a
 * sigmoid output, fitted by Adam on binary cross-entropy with L2. No hidden layers is logistic
 * regression (purchase v1); hidden layers make the MLP (purchase v2).
 */
import { createAdam } from './adam.js';
import { createRng, shuffled } from './prng.js';

export interface DenseLayer {
  inputs: number;
  outputs: number;
  /** Row-major [inputs, outputs], as ONNX MatMul takes it. */
  weights: Float32Array;
  bias: Float32Array;
}

export interface DenseModel {
  layers: DenseLayer[];
}

export interface TrainOptions {
  hidden: readonly number[];
  epochs: number;
  learningRate: number;
  l2: number;
  batchRows: number;
  seed: number;
}

interface Layer64 { inputs: number; outputs: number; weights: Float64Array; bias: Float64Array }

function initLayers(sizes: readonly number[], seed: number): Layer64[] {
  const rng = createRng(seed);
  const layers: Layer64[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const inputs = sizes[l]!;
    const outputs = sizes[l + 1]!;
    const isOutput = l + 2 === sizes.length;
    // He initialisation for ReLU layers; a linear model can start at zero.
    const scale = isOutput && sizes.length === 2 ? 0 : Math.sqrt((isOutput ? 1 : 2) / inputs);
    layers.push({ inputs, outputs, weights: Float64Array.from({ length: inputs * outputs }, () => rng.normal() * scale), bias: new Float64Array(outputs) });
  }
  return layers;
}

/** Activations per layer (index 0 is the input row); the last holds the logit. */
function forward(layers: readonly Layer64[], x: ArrayLike<number>, acts: Float64Array[]): number {
  acts[0]!.set(x as ArrayLike<number>);
  for (let l = 0; l < layers.length; l++) {
    const { inputs, outputs, weights, bias } = layers[l]!;
    const a = acts[l]!;
    const z = acts[l + 1]!;
    const hidden = l + 1 < layers.length;
    for (let o = 0; o < outputs; o++) {
      let sum = bias[o]!;
      for (let i = 0; i < inputs; i++) sum += a[i]! * weights[i * outputs + o]!;
      z[o] = hidden && sum < 0 ? 0 : sum;
    }
  }
  return acts[layers.length]![0]!;
}

function backward(layers: readonly Layer64[], acts: readonly Float64Array[], outputDelta: number,
  gradW: Float64Array[], gradB: Float64Array[], deltas: Float64Array[]): void {
  deltas[layers.length]![0] = outputDelta;
  for (let l = layers.length - 1; l >= 0; l--) {
    const { inputs, outputs, weights } = layers[l]!;
    const a = acts[l]!;
    const delta = deltas[l + 1]!;
    const gw = gradW[l]!;
    const gb = gradB[l]!;
    for (let o = 0; o < outputs; o++) gb[o]! += delta[o]!;
    for (let i = 0; i < inputs; i++) {
      let back = 0;
      for (let o = 0; o < outputs; o++) {
        gw[i * outputs + o]! += a[i]! * delta[o]!;
        back += weights[i * outputs + o]! * delta[o]!;
      }
      // ReLU passes gradient only where it was active; layer 0's input needs no delta.
      if (l > 0) deltas[l]![i] = a[i]! > 0 ? back : 0;
    }
  }
}

/** Fits a dense model to rows of `features` (row-major, `width` per row) and 0/1 labels. */
export function trainDense(features: Float32Array, labels: Uint8Array, width: number, options: TrainOptions): DenseModel {
  const sizes = [width, ...options.hidden, 1];
  const layers = initLayers(sizes, options.seed);
  const params = layers.flatMap((l) => [l.weights, l.bias]);
  const adam = createAdam(params, { learningRate: options.learningRate, l2: options.l2 });
  const acts = sizes.map((n) => new Float64Array(n));
  const deltas = sizes.map((n) => new Float64Array(n));
  const gradW = layers.map((l) => new Float64Array(l.weights.length));
  const gradB = layers.map((l) => new Float64Array(l.bias.length));
  const rng = createRng(options.seed + 1);
  const rows = labels.length;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const order = shuffled(rng, Array.from({ length: rows }, (_, i) => i));
    for (let start = 0; start < rows; start += options.batchRows) {
      const batch = order.slice(start, start + options.batchRows);
      for (const g of [...gradW, ...gradB]) g.fill(0);
      for (const r of batch) {
        const logit = forward(layers, features.subarray(r * width, (r + 1) * width), acts);
        backward(layers, acts, 1 / (1 + Math.exp(-logit)) - labels[r]!, gradW, gradB, deltas);
      }
      adam.step(layers.flatMap((_, l) => [gradW[l]!, gradB[l]!]), batch.length);
    }
  }
  // The served model holds float32 weights; round here so metrics describe what is served.
  return { layers: layers.map((l) => ({ ...l, weights: Float32Array.from(l.weights), bias: Float32Array.from(l.bias) })) };
}

/** Purchase probability for every row, with the model's float32 weights. */
export function predictDense(model: DenseModel, features: Float32Array, width: number): Float64Array {
  const layers: Layer64[] = model.layers.map((l) => ({ ...l, weights: Float64Array.from(l.weights), bias: Float64Array.from(l.bias) }));
  const acts = [width, ...model.layers.map((l) => l.outputs)].map((n) => new Float64Array(n));
  const rows = features.length / width;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    out[r] = 1 / (1 + Math.exp(-forward(layers, features.subarray(r * width, (r + 1) * width), acts)));
  }
  return out;
}

export function parameterCount(model: DenseModel): number {
  return model.layers.reduce((n, l) => n + l.weights.length + l.bias.length, 0);
}

/** Multiply-adds count twice; bias adds, ReLUs and the sigmoid count once each. */
export function flopsPerRow(model: DenseModel): number {
  return model.layers.reduce((n, l) => n + 2 * l.weights.length + 2 * l.bias.length, 0);
}
