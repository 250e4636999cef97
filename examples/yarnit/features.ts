/**
 * Feature code shared by training and serving: the purchase model's feature vector and the query
 * tokenizer. The same functions make the training rows and the rows a client sends, so what the
 * model saw in training is what it sees in production (no training/serving skew by construction).
 */
import { CATEGORIES } from './catalog.js';

/**
 * Lowercases ASCII letters and splits on runs of spaces, exactly as the query_category model
 * does inside its graph (StringNormalizer LOWER with locale "C", then StringSplit with no
 * delimiter). Non-ASCII letters keep their case and tabs do not separate tokens, because that
 * is what onnxruntime does; punctuation stays attached to its word.
 */
export function tokenize(query: string): string[] {
  return query.replace(/[A-Z]/g, (c) => c.toLowerCase()).split(' ').filter((t) => t !== '');
}

export interface ProductFacts {
  title: string;
  category: string;
  priceUsd: number;
  /** Mean review score, 1–5. */
  rating: number;
  salesCount: number;
  /** Fraction off the list price, 0–0.5. */
  discount: number;
  shippingDays: number;
}

export interface UserFacts {
  purchaseCount: number;
  /** Past purchases per category name. */
  categoryPurchases: Readonly<Record<string, number>>;
  /** Mean price of past purchases; ignored when purchaseCount is 0. */
  meanSpendUsd: number;
}

export interface PurchaseContext {
  query: string;
  product: ProductFacts;
  user: UserFacts;
  /** Local time of the request, 0–23. */
  hourOfDay: number;
  /** 0 = Sunday … 6 = Saturday. */
  dayOfWeek: number;
}

/** Names of the purchase model's input columns, in order. */
export const PURCHASE_FEATURES = [
  'log_price', 'price_vs_category', 'title_match', 'category_words', 'user_purchases',
  'category_affinity', 'price_vs_user', 'rating', 'popularity', 'discount', 'new_user',
  'hour_sin', 'hour_cos', 'weekend', 'shipping', 'query_length',
] as const;

export const PURCHASE_FEATURE_COUNT = PURCHASE_FEATURES.length;

const CATEGORY_WORDS = new Map(CATEGORIES.map((c) => [
  c.name, new Set([...c.phrases, ...c.modifiers].flatMap(tokenize)),
]));
const MEDIAN_PRICE_USD = new Map(CATEGORIES.map((c) => [c.name, c.medianPrice]));

function shareIn(tokens: readonly string[], words: ReadonlySet<string>): number {
  if (tokens.length === 0) return 0;
  return tokens.filter((t) => words.has(t)).length / tokens.length;
}

/** The purchase model's FP32 row; every value lies roughly in [-3, 3]. */
export function purchaseFeatures(ctx: PurchaseContext): Float32Array {
  const { product, user } = ctx;
  const tokens = tokenize(ctx.query);
  const hasHistory = user.purchaseCount > 0;
  const angle = (2 * Math.PI * ctx.hourOfDay) / 24;
  return Float32Array.from([
    // log_price: dollars on a log scale; $1 → 0.17, $50 → 0.98.
    Math.log1p(product.priceUsd) / 4,
    // price_vs_category: log of price over the category's typical price; 0 is typical.
    Math.log(product.priceUsd / (MEDIAN_PRICE_USD.get(product.category) ?? product.priceUsd)),
    // title_match: share of query tokens found in the product title.
    shareIn(tokens, new Set(tokenize(product.title))),
    // category_words: share of query tokens that belong to the product category's vocabulary.
    shareIn(tokens, CATEGORY_WORDS.get(product.category) ?? new Set()),
    // user_purchases: past purchases on a log scale; 20 purchases → 1.
    Math.log1p(user.purchaseCount) / 3,
    // category_affinity: share of the user's past purchases in this product's category.
    hasHistory ? (user.categoryPurchases[product.category] ?? 0) / user.purchaseCount : 0,
    // price_vs_user: log of price over the user's mean spend, clipped to ±3; 0 without history.
    hasHistory ? Math.max(-3, Math.min(3, Math.log(product.priceUsd / user.meanSpendUsd))) : 0,
    // rating: review score centred on 3 stars, in [-1, 1].
    (product.rating - 3) / 2,
    // popularity: units sold on a log scale; ~400 sales → 1.
    Math.log1p(product.salesCount) / 6,
    // discount: fraction off the list price.
    product.discount,
    // new_user: 1 when the user has never bought anything.
    hasHistory ? 0 : 1,
    // hour_sin, hour_cos: time of day on a circle, so 23:00 sits next to 00:00.
    Math.sin(angle),
    Math.cos(angle),
    // weekend: Saturday or Sunday.
    ctx.dayOfWeek === 0 || ctx.dayOfWeek === 6 ? 1 : 0,
    // shipping: days to deliver, in weeks.
    product.shippingDays / 7,
    // query_length: tokens in the query, capped at 8, scaled to [0, 1].
    Math.min(tokens.length, 8) / 8,
  ]);
}
