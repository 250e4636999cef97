/**
 * The synthetic yarnit shop: users, products, search queries and purchase events, all drawn from
 * one seed. Purchases follow a hidden logistic model with interactions and a curved price
 * effect (see purchaseLogit), so a small MLP can beat logistic regression on the same features.
 */
import { BRANDS, CATEGORIES, CATEGORY_NAMES, FILLER_WORDS } from './catalog.js';
import { purchaseFeatures, PURCHASE_FEATURE_COUNT } from './features.js';
import type { ProductFacts, UserFacts } from './features.js';
import { createRng } from './prng.js';
import type { Rng } from './prng.js';

export interface User extends UserFacts {
  id: string;
  /** Relative interest per category index; drives which category a user searches. */
  affinity: number[];
}

export interface Product extends ProductFacts {
  id: string;
}

export interface PurchaseEvent {
  userId: string;
  productId: string;
  query: string;
  hourOfDay: number;
  dayOfWeek: number;
  purchased: boolean;
}

export interface LabelledQuery {
  query: string;
  /** Index into CATEGORY_NAMES. */
  category: number;
}

export interface ShopSizes {
  users: number;
  products: number;
  events: number;
  queries: number;
}

export const DEFAULT_SIZES: ShopSizes = { users: 400, products: 300, events: 24_000, queries: 6_000 };

export interface Shop {
  users: User[];
  products: Product[];
  events: PurchaseEvent[];
  /** Feature rows of `events`, row-major, PURCHASE_FEATURE_COUNT per event. */
  features: Float32Array;
  labels: Uint8Array;
  queries: LabelledQuery[];
}

/** A query a user searching `category` might type. */
export function makeQuery(rng: Rng, category: number): string {
  const cat = CATEGORIES[category]!;
  // One-word searches ("needles", "pattern") are often ambiguous; no model gets them all right.
  if (rng.chance(0.08)) return rng.pick(rng.pick(cat.phrases).split(' '));
  const words = [rng.pick(cat.phrases)];
  if (rng.chance(0.4)) words.unshift(rng.pick(cat.modifiers));
  if (rng.chance(0.15)) words.push(rng.pick(FILLER_WORDS));
  // Some searches carry a word from another category, as real ones do.
  if (rng.chance(0.1)) words.push(rng.pick(rng.pick(CATEGORIES).phrases).split(' ')[0]!);
  return rng.chance(0.2) ? words.join(' ').toUpperCase() : words.join(' ');
}

function makeUser(rng: Rng, i: number): User {
  const affinity = CATEGORIES.map(() => Math.exp(rng.normal()));
  for (let k = 0; k < 2; k++) affinity[rng.int(affinity.length)]! *= 6;
  const purchaseCount = rng.chance(0.2) ? 0 : Math.floor(Math.exp(1 + rng.normal()));
  const categoryPurchases: Record<string, number> = {};
  for (let p = 0; p < purchaseCount; p++) {
    const name = CATEGORY_NAMES[rng.weighted(affinity)]!;
    categoryPurchases[name] = (categoryPurchases[name] ?? 0) + 1;
  }
  return { id: `u${i}`, affinity, purchaseCount, categoryPurchases, meanSpendUsd: Math.exp(Math.log(10) + 0.5 * rng.normal()) };
}

function makeProduct(rng: Rng, i: number): Product {
  const category = rng.int(CATEGORIES.length);
  const cat = CATEGORIES[category]!;
  const modifier = rng.chance(0.6) ? `${rng.pick(cat.modifiers)} ` : '';
  return {
    id: `p${i}`,
    title: `${rng.pick(BRANDS)} ${modifier}${rng.pick(cat.phrases)}`,
    category: cat.name,
    priceUsd: Math.round(cat.medianPrice * Math.exp(0.5 * rng.normal()) * 100) / 100,
    rating: Math.max(1, Math.min(5, 3.8 + 0.6 * rng.normal())),
    salesCount: Math.floor(Math.exp(3 + 1.5 * rng.normal())),
    discount: rng.chance(0.3) ? rng.pick([0.1, 0.2, 0.3, 0.5]) : 0,
    shippingDays: 1 + rng.int(7),
  };
}

/**
 * The hidden truth: the log-odds of a purchase given the feature row. Not visible to training;
 * the interactions (title match × affinity, price × history) and the squared price term are
 * what a linear model cannot express.
 */
export function purchaseLogit(f: Float32Array): number {
  const [logPrice, priceVsCategory, titleMatch, categoryWords, , affinity, priceVsUser, rating,
    popularity, discount, newUser, hourSin, , weekend, shipping] = Array.from(f) as number[];
  return -2.2
    + 1.6 * titleMatch! + 1.2 * categoryWords!
    + 3.0 * titleMatch! * affinity! + 0.8 * affinity!
    - 2.0 * priceVsCategory! * priceVsCategory!
    - 1.5 * Math.max(0, priceVsUser!) * (1 - newUser!)
    - 1.5 * logPrice! * newUser!
    + 0.8 * rating! + 0.5 * popularity! + 2.0 * discount!
    + 0.6 * hourSin! * weekend! - 0.4 * shipping!;
}

/** Generates the whole shop from `seed`; the same seed always gives the same shop. */
export function generateShop(seed: number, sizes: ShopSizes = DEFAULT_SIZES): Shop {
  const rng = createRng(seed);
  const users = Array.from({ length: sizes.users }, (_, i) => makeUser(rng, i));
  const products = Array.from({ length: sizes.products }, (_, i) => makeProduct(rng, i));
  const byCategory = CATEGORY_NAMES.map((name) => products.filter((p) => p.category === name));
  const events: PurchaseEvent[] = [];
  const features = new Float32Array(sizes.events * PURCHASE_FEATURE_COUNT);
  const labels = new Uint8Array(sizes.events);
  for (let i = 0; i < sizes.events; i++) {
    const user = rng.pick(users);
    const intent = rng.weighted(user.affinity);
    const query = makeQuery(rng, intent);
    // Search shows a product of the intended category most of the time, anything otherwise.
    const shelf = byCategory[intent]!;
    const product = shelf.length > 0 && rng.chance(0.6) ? rng.pick(shelf) : rng.pick(products);
    const hourOfDay = rng.int(24);
    const dayOfWeek = rng.int(7);
    const row = purchaseFeatures({ query, product, user, hourOfDay, dayOfWeek });
    features.set(row, i * PURCHASE_FEATURE_COUNT);
    const purchased = rng.next() < 1 / (1 + Math.exp(-purchaseLogit(row)));
    labels[i] = purchased ? 1 : 0;
    events.push({ userId: user.id, productId: product.id, query, hourOfDay, dayOfWeek, purchased });
  }
  const queries = Array.from({ length: sizes.queries }, () => {
    const category = rng.int(CATEGORIES.length);
    return { query: makeQuery(rng, category), category };
  });
  return { users, products, events, features, labels, queries };
}
