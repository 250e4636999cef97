/**
 * Writes the trained yarnit models as ONNX with Skein's graph builder. Both purchase versions
 * share one signature (features FP32 [batch,16] → probability FP32 [batch,1]) so either can
 * answer the same request; query_category takes raw query text.
 */
import { createGraphBuilder } from '../../src/builder/index.js';
import { PURCHASE_FEATURES, PURCHASE_FEATURE_COUNT } from './features.js';
import type { QueryModel } from './train-query.js';
import type { DenseModel } from './train-purchase.js';

export const PURCHASE_INPUT = 'features';
export const PURCHASE_OUTPUT = 'probability';

export function purchaseOnnx(model: DenseModel, version: number, description: string): Uint8Array {
  const g = createGraphBuilder({ name: 'purchase', modelVersion: version, docString: description })
    .input(PURCHASE_INPUT, 'FP32', ['batch', PURCHASE_FEATURE_COUNT]);
  let current = PURCHASE_INPUT;
  model.layers.forEach((layer, l) => {
    g.initializer(`w${l}`, 'FP32', [layer.inputs, layer.outputs], layer.weights)
      .initializer(`b${l}`, 'FP32', [layer.outputs], layer.bias)
      .node('MatMul', [current, `w${l}`], [`matmul${l}`])
      .node('Add', [`matmul${l}`, `b${l}`], [`linear${l}`]);
    current = `linear${l}`;
    if (l + 1 < model.layers.length) {
      g.node('Relu', [current], [`relu${l}`]);
      current = `relu${l}`;
    }
  });
  return g.node('Sigmoid', [current], [PURCHASE_OUTPUT])
    .output(PURCHASE_OUTPUT, 'FP32', ['batch', 1])
    .metadata('features', PURCHASE_FEATURES.join(','))
    .toBytes();
}

export const QUERY_INPUT = 'query';

/**
 * query BYTES [batch,1] → probabilities FP32 [batch,C], category INT64 [batch] (the index into
 * labels.json), category_name BYTES [batch]. Tokenizing happens in the graph:
 * Reshape to [batch] (StringNormalizer takes only [C] or [1,C]) → StringNormalizer LOWER in the
 * "C" locale (always installed; en_US may not be) → StringSplit on spaces (opset 20) →
 * TfIdfVectorizer term counts over the vocabulary → MatMul + Add → Softmax → ArgMax.
 */
export function queryCategoryOnnx(model: QueryModel, labels: readonly string[], version: number): Uint8Array {
  const v = model.vocabulary.length;
  const c = model.classes;
  return createGraphBuilder({ name: 'query_category', opset: 20, modelVersion: version, docString: 'yarnit search query → shop category' })
    .input(QUERY_INPUT, 'BYTES', ['batch', 1])
    .initializer('flat_shape', 'INT64', [1], [-1])
    .initializer('w', 'FP32', [v, c], model.weights)
    .initializer('b', 'FP32', [c], model.bias)
    .initializer('label_names', 'BYTES', [c], labels)
    .node('Reshape', [QUERY_INPUT, 'flat_shape'], ['query_flat'])
    .node('StringNormalizer', ['query_flat'], ['query_lower'], { case_change_action: 'LOWER', locale: 'C' })
    .node('StringSplit', ['query_lower'], ['tokens', 'token_counts'])
    .node('TfIdfVectorizer', ['tokens'], ['term_counts'], {
      mode: 'TF', min_gram_length: 1, max_gram_length: 1, max_skip_count: 0,
      pool_strings: model.vocabulary, ngram_counts: [0], ngram_indexes: model.vocabulary.map((_, i) => i),
    })
    .node('MatMul', ['term_counts', 'w'], ['scores'])
    .node('Add', ['scores', 'b'], ['logits'])
    .node('Softmax', ['logits'], ['probabilities'], { axis: -1 })
    .node('ArgMax', ['logits'], ['category'], { axis: 1, keepdims: 0 })
    .node('Gather', ['label_names', 'category'], ['category_name'], { axis: 0 })
    .output('probabilities', 'FP32', ['batch', c])
    .output('category', 'INT64', ['batch'])
    .output('category_name', 'BYTES', ['batch'])
    .metadata('labels', labels.join(','))
    .toBytes();
}
