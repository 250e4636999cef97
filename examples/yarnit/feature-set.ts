/**
 * The purchase model's features as a declarative feature set (src/features): the same 16
 * columns as the hand-written purchaseFeatures() in features.ts, in the same order, computed from
 * raw fields (query, user_id, product_id, locale, time) and the user and product entities in the
 * feature store. Training rows come from `skein features export` over the logs feature-logs.ts
 * writes; the server assembles the same columns from a raw request.
 *
 * Differences from features.ts, on purpose: text is normalized with NFKC and full Unicode
 * lowercasing and punctuation is stripped before tokenizing (features.ts mirrors the query model's
 * ASCII-only graph); on the shop's ASCII queries and titles both give the same tokens. Language and
 * country are recorded in every vector (for skew statistics by geography) but are not model inputs.
 */
import {
  bucketize, categorical, clip, cos, count, defineFeatureSet, entity, feature, localTime, locale, log, log1p, mapValue, normalize,
  numeric, overlap, ratio, request, scale, sin, tokenize,
} from '../../src/features/index.js';
import { PURCHASE_FEATURES } from './features.js';
import { PURCHASE_INPUT } from './onnx-export.js';

/** Queries longer than this are refused (INVALID_RAW_INPUT); the shop's longest is ~40. */
export const MAX_QUERY_LENGTH = 256;

const query = () => request('query', { maxLength: MAX_QUERY_LENGTH });
const words = () => [normalize({ stripPunctuation: true }), tokenize()];

export const purchaseFeatureSet = defineFeatureSet({
  name: 'purchase',
  description: 'yarnit purchase likelihood: the 16 columns of examples/yarnit/features.ts from raw request fields',
  entities: { user: { keyField: 'user_id' }, product: { keyField: 'product_id' } },
  features: [
    // Intermediate values other features read (not model inputs).
    feature('query_tokens', query(), words()),
    feature('title_tokens', entity('product', 'title', 'string'), words()),
    // The product category's vocabulary (its phrases and modifiers, tokenized), a list on the product.
    feature('category_vocabulary', entity('product', 'category_words', 'strings')),
    categorical('product_category', entity('product', 'category', 'string')),
    numeric('category_median_price', entity('product', 'category_median_price')),
    numeric('purchase_count', entity('user', 'purchase_count')),
    numeric('mean_spend', entity('user', 'mean_spend_usd')),
    categorical('language', locale('language')),
    categorical('country', locale('country')),

    // The model's 16 columns.
    numeric('log_price', entity('product', 'price_usd'), [log1p(), scale({ mul: 0.25 })]),
    numeric('price_vs_category', entity('product', 'price_usd'), [ratio('category_median_price'), log()]),
    numeric('title_match', query(), [...words(), overlap('title_tokens')]),
    numeric('category_words', query(), [...words(), overlap('category_vocabulary')]),
    numeric('user_purchases', entity('user', 'purchase_count'), [log1p(), scale({ mul: 1 / 3 })]),
    // No history (0 purchases): the ratio divides by 0, is missing, and takes the default 0.
    numeric('category_affinity', entity('user', 'category_purchases', 'map'), [mapValue('product_category', { absentValue: 0 }), ratio('purchase_count')], { default: 0 }),
    // Users without history have no mean spend: missing, default 0.
    numeric('price_vs_user', entity('product', 'price_usd'), [ratio('mean_spend'), log(), clip({ min: -3, max: 3 })], { default: 0 }),
    numeric('rating', entity('product', 'rating'), [scale({ mean: 3, std: 2 })]),
    numeric('popularity', entity('product', 'sales_count'), [log1p(), scale({ mul: 1 / 6 })]),
    numeric('discount', entity('product', 'discount')),
    // 0 purchases → bucket 0 → 1; any purchase → bucket 1 → 0. An unknown user is new.
    numeric('new_user', entity('user', 'purchase_count'), [bucketize([1]), scale({ mul: -1, add: 1 })], { default: 1 }),
    numeric('hour_sin', localTime('hour'), [sin({ period: 24 })]),
    numeric('hour_cos', localTime('hour'), [cos({ period: 24 })]),
    numeric('weekend', localTime('weekend')),
    numeric('shipping', entity('product', 'shipping_days'), [scale({ mul: 1 / 7 })]),
    numeric('query_length', query(), [...words(), count(), clip({ max: 8 }), scale({ mul: 1 / 8 })]),
  ],
  tensors: [{ name: PURCHASE_INPUT, datatype: 'FP32', features: [...PURCHASE_FEATURES] }],
});
