/**
 * A small shop feature set and its logs for the feature pipeline's integration tests: users and
 * products updated over time (with late-arriving rows), and search events with labels.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { generateApiKey } from '../../src/auth/index.js';
import {
  saveFeatureSet, categorical, clip, count, cross, defineFeatureSet, entity, feature, hash, locale, localTime, log1p, mapValue, normalize, numeric,
  oneHot, overlap, ratio, request, scale, sin, cos, tokenize,
} from '../../src/features/index.js';
import { identityModel, writeModel } from '../helpers/models.js';
import { startTestServer, tempRepo, type TestServer } from '../helpers/server.js';

export const SHOP_SPEC = defineFeatureSet({
  name: 'shop',
  entities: { user: { keyField: 'user_id' }, product: { keyField: 'product_id' } },
  features: [
    categorical('query_text', request('query', { maxLength: 128 }), [normalize({ stripPunctuation: true })]),
    feature('query_tokens', request('query', { maxLength: 128 }), [normalize({ stripPunctuation: true }), tokenize()]),
    feature('title_tokens', entity('product', 'title', 'string'), [normalize({ stripPunctuation: true }), tokenize()]),
    numeric('title_match', request('query', { maxLength: 128 }), [normalize({ stripPunctuation: true }), tokenize(), overlap('title_tokens')]),
    numeric('tag_match', entity('product', 'tags', 'strings'), [overlap('query_tokens')]),
    numeric('query_length', request('query', { maxLength: 128 }), [normalize(), tokenize(), count(), clip({ max: 8 }), scale({ mul: 1 / 8 })]),
    numeric('log_price', entity('product', 'price_usd'), [log1p(), scale({ mul: 0.25 })], { default: -1 }),
    categorical('category', entity('product', 'category', 'string'), [oneHot(['yarn', 'needles'], { unknown: 'slot' })]),
    numeric('purchases', entity('user', 'purchases'), [log1p()]),
    numeric('user_purchases', entity('user', 'purchases')),
    numeric('category_affinity', entity('user', 'by_category', 'map'), [mapValue('category', { absentValue: 0 }), ratio('user_purchases')]),
    categorical('language', locale('language'), [oneHot(['en', 'de', 'fr'])]),
    numeric('country_x_category', locale('country'), [cross('category', { buckets: 32 })]),
    numeric('hour_sin', localTime('hour'), [sin({ period: 24 })]),
    numeric('hour_cos', localTime('hour'), [cos({ period: 24 })]),
    numeric('weekend', localTime('weekend')),
    feature('query_bag', request('query', { maxLength: 128 }), [normalize({ stripPunctuation: true }), tokenize(), hash({ buckets: 16 })]),
  ],
  tensors: [
    { name: 'features', datatype: 'FP32', features: ['title_match', 'tag_match', 'query_length', 'log_price', 'category', 'purchases', 'category_affinity', 'language', 'country_x_category', 'hour_sin', 'hour_cos', 'weekend', 'query_bag'] },
    { name: 'query', datatype: 'BYTES', features: ['query_text'] },
  ],
});

export const T0 = Date.parse('2024-05-01T00:00:00Z');
export const HOUR_MS = 3_600_000;
export const iso = (ms: number, offset = '+02:00'): string => {
  const sign = offset.startsWith('-') ? -1 : 1;
  const [h, m] = offset.slice(1).split(':').map(Number) as [number, number];
  const local = new Date(ms + sign * (h * 60 + m) * 60_000).toISOString().slice(0, 19);
  return `${local}${offset}`;
};

export interface LogRow { [field: string]: unknown }

/**
 * User updates in file order. u1's purchases: 1 at T0, 5 at T0+10h, and 3 at T0+2h, which arrives
 * last (late): an event at T0+5h must see 3, never 5.
 */
export const USER_LOG: LogRow[] = [
  { user_id: 'u1', updated_at: T0, purchases: 1, by_category: { yarn: 1 } },
  { user_id: 'u2', updated_at: iso(T0 + HOUR_MS), purchases: 2, by_category: { needles: 2 } },
  { user_id: 'u1', updated_at: T0 + 10 * HOUR_MS, purchases: 5, by_category: { yarn: 4, needles: 1 } },
  { user_id: 'u1', updated_at: iso(T0 + 2 * HOUR_MS, '-05:00'), purchases: 3, by_category: { yarn: 3 } },
];

export const PRODUCT_LOG: LogRow[] = [
  { product_id: 'p1', updated_at: T0, title: 'Soft Merino Wool Yarn', category: 'yarn', price_usd: 14, tags: ['wool', 'merino'] },
  { product_id: 'p2', updated_at: T0, title: 'Bamboo Needles, 8mm', category: 'needles', price_usd: 9.5, tags: ['bamboo'] },
  { product_id: 'p3', updated_at: T0, title: '毛线 Café Straße 🧶', category: 'gifts', price_usd: 30, tags: [] },
  { product_id: 'p1', updated_at: T0 + 8 * HOUR_MS, title: 'Soft Merino Wool Yarn', category: 'yarn', price_usd: 20, tags: ['wool', 'merino'] },
];

export interface EventRow { [field: string]: unknown }

export function event(atMs: number, over: Record<string, unknown> = {}): EventRow {
  return { time: iso(atMs), user_id: 'u1', product_id: 'p1', query: 'merino wool', locale: 'de-DE', label: 1, ...over };
}

export async function writeJsonl(path: string, rows: readonly object[]): Promise<void> {
  await writeFile(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function writeCsv(path: string, rows: readonly LogRow[]): Promise<void> {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const lines = [columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))];
  await writeFile(path, lines.join('\n') + '\n');
}

export async function deleteByPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** One numeric request field → FP32 [batch,1]: the smallest model with a feature set. */
export const TINY_SPEC = defineFeatureSet({
  name: 'tiny',
  features: [numeric('amount', request('amount', { type: 'number' }))],
  tensors: [{ name: 'x', datatype: 'FP32', features: ['amount'] }],
});

export interface TinyAuthServer {
  server: TestServer;
  /** API keys with scopes `infer:tiny`, `infer:other` and `admin`. */
  keys: { infer: { key: string }; other: { key: string }; admin: { key: string } };
}

/** A server with auth on, serving `tiny` (an identity model behind TINY_SPEC). */
export async function startTinyAuthServer(): Promise<TinyAuthServer> {
  const keys = { infer: generateApiKey(), other: generateApiKey(), admin: generateApiKey() };
  const repo = await tempRepo();
  await writeModel(repo, 'tiny', 1, identityModel('FP32', ['batch', 1]));
  await saveFeatureSet(join(repo, 'tiny', '1'), TINY_SPEC);
  const server = await startTestServer(repo, {
    auth: {
      enabled: true,
      apiKeys: [
        { id: 'infer', sha256: keys.infer.sha256, scopes: ['infer:tiny'] },
        { id: 'other', sha256: keys.other.sha256, scopes: ['infer:other'] },
        { id: 'admin', sha256: keys.admin.sha256, scopes: ['admin'] },
      ],
    },
  });
  return { server, keys };
}
