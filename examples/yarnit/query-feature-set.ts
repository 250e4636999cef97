/**
 * query_category's feature set: one feature, the raw `query` request field, landing as the BYTES
 * tensor `query` [batch,1] the model reads. The model tokenizes inside its graph (ASCII
 * lowercasing, then a split on runs of spaces; see onnx-export.ts), so the feature set only puts
 * the text into the shape that tokenizer handles well: NFKC, lowercase, punctuation and every kind
 * of whitespace (tabs, newlines) turned into single spaces, trimmed. "Merino,\tWOOL yarn!" reaches
 * the graph as "merino wool yarn" and splits into the three words the vocabulary knows, where the
 * raw text would give "merino,\twool" and "yarn!", both unknown. The same normalization as the
 * purchase set's query tokens (feature-set.ts).
 *
 * On the shop's own queries (ASCII words, single spaces, no punctuation, some in capitals) the
 * graph finds the same tokens with or without it, so the model trained on exported rows is the
 * model trained on the raw queries. A client sending the `query` tensor itself skips this step;
 * the model still answers, with the graph's own (narrower) normalization.
 */
import { defineFeatureSet, feature, normalize, request } from '../../src/features/index.js';
import { MAX_QUERY_LENGTH } from './feature-set.js';
import { QUERY_INPUT } from './onnx-export.js';

export const queryCategoryFeatureSet = defineFeatureSet({
  name: 'query_category',
  description: 'yarnit search query → shop category: the raw query, normalized for the in-graph tokenizer',
  features: [
    // A row without a query is a client bug, not a shopper without history: refuse it.
    feature('query', request('query', { maxLength: MAX_QUERY_LENGTH, required: true }), [normalize({ stripPunctuation: true })]),
  ],
  tensors: [{ name: QUERY_INPUT, datatype: 'BYTES', features: ['query'] }],
});
