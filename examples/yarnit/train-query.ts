/**
 * Trains query_category: multinomial logistic regression over a bag of query tokens (term
 * counts over a vocabulary), fitted by Adam on softmax cross-entropy with L2. The ONNX graph
 * computes the same counts from the raw query string, so clients send text, not token ids.
 */
import { createAdam } from './adam.js';
import type { LabelledQuery } from './data.js';
import { tokenize } from './features.js';
import { createRng, shuffled } from './prng.js';

export interface QueryModel {
  /** Sorted tokens; column i of the counts is vocabulary[i]. */
  vocabulary: string[];
  classes: number;
  /** Row-major [vocabulary.length, classes]. */
  weights: Float32Array;
  bias: Float32Array;
}

export interface QueryTrainOptions {
  classes: number;
  /** Tokens seen fewer times than this in training are left out of the vocabulary. */
  minCount: number;
  epochs: number;
  learningRate: number;
  l2: number;
  batchRows: number;
  seed: number;
}

export function buildVocabulary(queries: readonly LabelledQuery[], minCount: number): string[] {
  const counts = new Map<string, number>();
  for (const q of queries) for (const t of tokenize(q.query)) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts].filter(([, n]) => n >= minCount).map(([t]) => t).sort();
}

/** Vocabulary indices of the query's tokens, repeated as often as they occur. */
function tokenIds(query: string, index: ReadonlyMap<string, number>): number[] {
  return tokenize(query).flatMap((t) => {
    const id = index.get(t);
    return id === undefined ? [] : [id];
  });
}

function softmaxInPlace(z: Float64Array): void {
  let max = -Infinity;
  for (const v of z) max = Math.max(max, v);
  let sum = 0;
  for (let c = 0; c < z.length; c++) sum += (z[c] = Math.exp(z[c]! - max));
  for (let c = 0; c < z.length; c++) z[c]! /= sum;
}

function logits(weights: ArrayLike<number>, bias: ArrayLike<number>, ids: readonly number[], classes: number, out: Float64Array): void {
  for (let c = 0; c < classes; c++) out[c] = bias[c]!;
  for (const id of ids) for (let c = 0; c < classes; c++) out[c]! += weights[id * classes + c]!;
}

export function trainQueryModel(queries: readonly LabelledQuery[], options: QueryTrainOptions): QueryModel {
  const { classes } = options;
  const vocabulary = buildVocabulary(queries, options.minCount);
  const index = new Map(vocabulary.map((t, i) => [t, i]));
  const rows = queries.map((q) => ({ ids: tokenIds(q.query, index), label: q.category }));
  const weights = new Float64Array(vocabulary.length * classes);
  const bias = new Float64Array(classes);
  const gradW = new Float64Array(weights.length);
  const gradB = new Float64Array(classes);
  const adam = createAdam([weights, bias], { learningRate: options.learningRate, l2: options.l2 });
  const rng = createRng(options.seed);
  const p = new Float64Array(classes);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const order = shuffled(rng, rows);
    for (let start = 0; start < order.length; start += options.batchRows) {
      const batch = order.slice(start, start + options.batchRows);
      gradW.fill(0);
      gradB.fill(0);
      for (const row of batch) {
        logits(weights, bias, row.ids, classes, p);
        softmaxInPlace(p);
        p[row.label]! -= 1;
        for (let c = 0; c < classes; c++) gradB[c]! += p[c]!;
        for (const id of row.ids) for (let c = 0; c < classes; c++) gradW[id * classes + c]! += p[c]!;
      }
      adam.step([gradW, gradB], batch.length);
    }
  }
  return { vocabulary, classes, weights: Float32Array.from(weights), bias: Float32Array.from(bias) };
}

/** Class probabilities of one query, with the model's float32 weights. */
export function predictQuery(model: QueryModel, query: string): Float64Array {
  const index = new Map(model.vocabulary.map((t, i) => [t, i]));
  const p = new Float64Array(model.classes);
  logits(model.weights, model.bias, tokenIds(query, index), model.classes, p);
  softmaxInPlace(p);
  return p;
}

/** Index of the largest probability; the first on ties, as ONNX ArgMax does. */
export function argMax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
