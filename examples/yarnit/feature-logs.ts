/**
 * Raw logs of the yarnit shop for the feature pipeline: search events (what a server sees), the
 * user and product entity update logs (what `skein features ingest` loads into the feature
 * store) and the labelled query log query_category learns from, drawn from the same seeded shop
 * as data.ts. Training rows then come from
 *
 *   npx tsx examples/yarnit/feature-logs.ts --out examples/yarnit/data/feature-logs
 *   node --import tsx src/cli/main.ts features export --features examples/yarnit/feature-set.ts \
 *     --events examples/yarnit/data/feature-logs/events.jsonl \
 *     --entity user=examples/yarnit/data/feature-logs/users.jsonl \
 *     --entity product=examples/yarnit/data/feature-logs/products.csv \
 *     --out examples/yarnit/data/feature-logs/train/rows.jsonl --label-field purchased
 *
 * The logs are messy the way real ones are, and the point-in-time join must see through it:
 *   - every 10th user's and product's first update arrives late: at the end of its file, with the
 *     early time it happened at (it must be used for every event);
 *   - every 7th user has a stale row (a day older, wrong values) after the right one (never used);
 *   - every 5th user and 6th product change after the last event (never used in training, but the
 *     store, holding the latest, serves them).
 * With those rules the features in force at each event are the shop's own, so exported rows
 * carry the same values as purchaseFeatures() in features.ts.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CATEGORIES, CATEGORY_NAMES } from './catalog.js';
import { DEFAULT_SIZES, generateShop, type Product, type Shop, type ShopSizes, type User } from './data.js';
import { tokenize } from './features.js';

/** Locales of the shop's users, with the UTC offset their times are written in. */
export const LOCALES: readonly (readonly [string, string])[] = [
  ['en-US', '-05:00'], ['en-GB', '+01:00'], ['de-DE', '+02:00'], ['fr-FR', '+02:00'], ['es-ES', '+02:00'], ['ja-JP', '+09:00'],
];
/** Entity snapshots are taken before the first event (local dates start Sunday 2024-06-02). */
export const SNAPSHOT_MS = Date.parse('2024-06-01T00:00:00Z');
/** Later changes come after the last event (four weeks of events). */
export const AFTER_EVENTS_MS = Date.parse('2024-07-15T00:00:00Z');
const FIRST_SUNDAY_UTC_MS = Date.UTC(2024, 5, 2);
const EVENT_WEEKS = 4;
const DAY_MS = 86_400_000;

export interface FeatureLogs {
  /** Search → product impressions: time, user_id, product_id, query, locale, purchased (0/1). */
  events: Record<string, unknown>[];
  users: Record<string, unknown>[];
  products: Record<string, unknown>[];
  /** Labelled searches: time, query, category (a name from catalog.ts). */
  queries: Record<string, unknown>[];
}

export interface FeatureLogFiles {
  events: string;
  users: string;
  products: string;
  queries: string;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** ISO-8601 text of a local date and time in an offset: the parts as written, no time zones. */
function localIso(dayMs: number, hour: number, minute: number, offset: string): string {
  const d = new Date(dayMs);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(hour)}:${pad(minute)}:00${offset}`;
}

function userRow(u: User, updatedAt: string, over: Partial<Record<string, unknown>> = {}): Record<string, unknown> {
  const history = u.purchaseCount > 0 ? { mean_spend_usd: u.meanSpendUsd } : {};
  return { user_id: u.id, updated_at: updatedAt, purchase_count: u.purchaseCount, category_purchases: u.categoryPurchases, ...history, ...over };
}

const MEDIAN_PRICE = new Map(CATEGORIES.map((c) => [c.name, c.medianPrice]));
const CATEGORY_WORDS = new Map(CATEGORIES.map((c) => [c.name, [...new Set([...c.phrases, ...c.modifiers].flatMap(tokenize))]]));

function productRow(p: Product, updatedAtMs: number, over: Partial<Record<string, unknown>> = {}): Record<string, unknown> {
  return {
    product_id: p.id, updated_at: updatedAtMs, title: p.title, category: p.category, price_usd: p.priceUsd,
    category_median_price: MEDIAN_PRICE.get(p.category), category_words: CATEGORY_WORDS.get(p.category),
    rating: p.rating, sales_count: p.salesCount, discount: p.discount, shipping_days: p.shippingDays, ...over,
  };
}

/** The three logs of a shop, in file order. */
export function featureLogs(shop: Shop): FeatureLogs {
  const userIndex = new Map(shop.users.map((u, i) => [u.id, i]));
  const events = shop.events.map((e, i) => {
    const [locale, offset] = LOCALES[userIndex.get(e.userId)! % LOCALES.length]!;
    const week = Math.floor((EVENT_WEEKS * i) / shop.events.length);
    const dayMs = FIRST_SUNDAY_UTC_MS + (7 * week + e.dayOfWeek) * DAY_MS;
    return { time: localIso(dayMs, e.hourOfDay, i % 60, offset), user_id: e.userId, product_id: e.productId, query: e.query, locale, purchased: e.purchased ? 1 : 0 };
  });
  const snapshot = new Date(SNAPSHOT_MS).toISOString();
  const users: Record<string, unknown>[] = [];
  const lateUsers: Record<string, unknown>[] = [];
  shop.users.forEach((u, i) => {
    (i % 10 === 3 ? lateUsers : users).push(userRow(u, snapshot));
    if (i % 7 === 0) users.push(userRow(u, new Date(SNAPSHOT_MS - DAY_MS).toISOString(), { purchase_count: 0, category_purchases: {} }));
    if (i % 5 === 0) users.push(userRow(u, new Date(AFTER_EVENTS_MS).toISOString(), { purchase_count: u.purchaseCount + 1 }));
  });
  const products: Record<string, unknown>[] = [];
  const lateProducts: Record<string, unknown>[] = [];
  shop.products.forEach((p, i) => {
    (i % 10 === 3 ? lateProducts : products).push(productRow(p, SNAPSHOT_MS));
    if (i % 6 === 0) products.push(productRow(p, AFTER_EVENTS_MS, { price_usd: Math.round(p.priceUsd * 110) / 100 }));
  });
  // Labelled queries are spread evenly over the same four weeks (UTC; no model reads their time).
  const queries = shop.queries.map((q, i) => ({
    time: new Date(FIRST_SUNDAY_UTC_MS + Math.floor((EVENT_WEEKS * 7 * DAY_MS * i) / shop.queries.length)).toISOString(),
    query: q.query,
    category: CATEGORY_NAMES[q.category],
  }));
  return { events, users: [...users, ...lateUsers], products: [...products, ...lateProducts], queries };
}

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(rows: readonly Record<string, unknown>[]): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return [columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))].join('\n') + '\n';
}

const jsonl = (rows: readonly object[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** Writes one log: CSV when `path` ends in .csv (lists and maps as JSON cells), else JSONL. */
export async function writeLogFile(path: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  await writeFile(path, path.endsWith('.csv') ? csv(rows) : jsonl(rows));
}

/** Writes a shop's logs (events.jsonl, users.jsonl, products.csv, queries.jsonl) into `outDir`. */
export async function writeLogFiles(outDir: string, logs: FeatureLogs): Promise<FeatureLogFiles> {
  await mkdir(outDir, { recursive: true });
  const paths = {
    events: join(outDir, 'events.jsonl'), users: join(outDir, 'users.jsonl'),
    products: join(outDir, 'products.csv'), queries: join(outDir, 'queries.jsonl'),
  };
  await writeLogFile(paths.events, logs.events);
  await writeLogFile(paths.users, logs.users);
  await writeLogFile(paths.products, logs.products);
  await writeLogFile(paths.queries, logs.queries);
  return paths;
}

/** Generates the shop of `seed` and writes its logs into `outDir`; returns their paths. */
export async function writeFeatureLogs(outDir: string, seed = 42, sizes: ShopSizes = DEFAULT_SIZES): Promise<FeatureLogFiles> {
  return writeLogFiles(outDir, featureLogs(generateShop(seed, sizes)));
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' }, seed: { type: 'string', default: '42' } } });
  if (!values.out) throw new Error('usage: feature-logs --out DIR [--seed S]');
  const paths = await writeFeatureLogs(values.out, Number(values.seed));
  console.log(`yarnit: wrote ${paths.events}, ${paths.users}, ${paths.products}, ${paths.queries}`);
}

if (process.argv[1] && /feature-logs\.(ts|js)$/.test(process.argv[1])) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
