import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { isServingError } from '../errors/index.js';
import {
  bucketize, categorical, clip, createFeatureAssembler, createFeatureMetrics, createFeatureStore, cross, defineFeatureSet, entity,
  feature, hash, hashBucket, crossKey, locale, localTime, log1p, mapValue, normalize, numeric, oneHot, overlap, ratio, request, scale,
  sin, tokenize, type FeatureStore,
} from './index.js';
import { parseRaw } from './raw.js';
import { computeRow, vectorOf } from './row.js';
import { ManualClock } from '../util/index.js';

const SPEC = defineFeatureSet({
  name: 'shop',
  entities: { user: { keyField: 'user_id' }, product: { keyField: 'product_id' } },
  features: [
    numeric('log_price', entity('product', 'price_usd'), [log1p(), scale({ mul: 0.25 })], { default: -1 }),
    categorical('query_text', request('query', { maxLength: 64 }), [normalize({ stripPunctuation: true })], { default: '<none>' }),
    feature('title_tokens', entity('product', 'title', 'string'), [normalize({ stripPunctuation: true }), tokenize()]),
    numeric('title_match', request('query', { maxLength: 64 }), [normalize({ stripPunctuation: true }), tokenize(), overlap('title_tokens')]),
    categorical('product_category', entity('product', 'category', 'string')),
    numeric('purchase_count', entity('user', 'purchases')),
    numeric('category_affinity', entity('user', 'category_purchases', 'map'), [mapValue('product_category', { absentValue: 0 }), ratio('purchase_count')]),
    categorical('color', entity('product', 'color', 'string'), [oneHot(['red', 'blue'], { unknown: 'slot' })]),
    feature('query_bag', request('query', { maxLength: 64 }), [normalize({ stripPunctuation: true }), tokenize(), hash({ buckets: 8 })]),
    categorical('country', locale('country'), [oneHot(['US', 'DE'])]),
    numeric('hour_sin', localTime('hour'), [sin({ period: 24 })]),
    numeric('weekend', localTime('weekend')),
    numeric('price_bucket', entity('product', 'price_usd'), [bucketize([5, 20], { output: 'oneHot' })]),
    numeric('country_x_category', locale('country'), [cross('product_category', { buckets: 16 })]),
    numeric('amount', request('amount', { type: 'number' }), [clip({ min: 0, max: 100 })], { default: -1 }),
  ],
  tensors: [
    { name: 'features', datatype: 'FP32', features: ['log_price', 'title_match', 'category_affinity', 'color', 'query_bag', 'country', 'hour_sin', 'weekend', 'price_bucket', 'country_x_category', 'amount'] },
    { name: 'query', datatype: 'BYTES', features: ['query_text'] },
  ],
});
// Columns: log_price 0, title_match 1, category_affinity 2, color 3-5, query_bag 6-13, country 14-15,
// hour_sin 16, weekend 17, price_bucket 18-20, country_x_category 21, amount 22.
const WIDTH = 23;

async function loadedStore(): Promise<FeatureStore> {
  const store = createFeatureStore({ url: ':memory:' });
  await store.put('product', [{ id: 'p1', values: { price_usd: 12, title: 'Soft Merino Wool-Yarn', category: 'yarn/wool', color: 'green' }, updatedAtMs: 1 }]);
  await store.put('user', [{ id: 'u1', values: { purchases: 4, category_purchases: { 'yarn/wool': 3 } }, updatedAtMs: 1 }]);
  return store;
}

const RAW = { user_id: 'u1', product_id: 'p1', query: '  MERINO wool!! ', locale: 'de-DE', time: '2024-05-04T06:00:00+02:00', amount: 250 };

function rawError(fn: () => Promise<unknown>, ...parts: string[]): Promise<void> {
  return assert.rejects(fn(), (err: unknown) => {
    assert.ok(isServingError(err), String(err));
    assert.equal(err.code, 'INVALID_RAW_INPUT');
    for (const p of parts) assert.ok(err.message.includes(p), `"${err.message}" should include ${p}`);
    return true;
  });
}

describe('feature assembler', () => {
  test('turns a raw row into the tensors, column by column', async () => {
    const store = await loadedStore();
    const { assemble } = createFeatureAssembler({ spec: SPEC, store });
    const out = await assemble([RAW]);
    const [fp, bytes] = out.tensors;
    assert.deepEqual([fp!.name, fp!.datatype, fp!.shape], ['features', 'FP32', [1, WIDTH]]);
    assert.deepEqual([bytes!.name, bytes!.datatype, bytes!.shape, bytes!.data], ['query', 'BYTES', [1, 1], ['merino wool']]);
    const row = Array.from(fp!.data as Float32Array);
    const f32 = Math.fround;
    assert.equal(row[0], f32(Math.log1p(12) * 0.25));
    assert.equal(row[1], 1, 'both query tokens are in the title');
    assert.equal(row[2], 0.75, '3 of 4 purchases in the category');
    assert.deepEqual(row.slice(3, 6), [0, 0, 1], 'an unknown color lands in the slot');
    const bag = new Array(8).fill(0);
    for (const t of ['merino', 'wool']) bag[hashBucket(t, 8)]++;
    assert.deepEqual(row.slice(6, 14), bag);
    assert.deepEqual(row.slice(14, 16), [0, 1]);
    assert.equal(row[16], 1, 'sin of 06:00 local');
    assert.equal(row[17], 1, 'a Saturday');
    assert.deepEqual(row.slice(18, 21), [0, 1, 0]);
    assert.equal(row[21], hashBucket(crossKey('DE', 'yarn/wool'), 16));
    assert.equal(row[22], 100, 'clipped');
    assert.equal(out.missing, 0);
    assert.equal(out.vectors[0]!.color, 'green');
    assert.equal(out.vectors[0]!.query_bag, 'merino wool');
    await store.close();
  });

  test('missing entities and fields take the declared defaults, counted in missing and the metric', async () => {
    const store = await loadedStore();
    const registry = new Registry();
    const metrics = createFeatureMetrics(registry);
    const { assemble } = createFeatureAssembler({ spec: SPEC, store, metrics });
    const out = await assemble([{ user_id: 'nobody', product_id: 'p-unknown', query: '', amount: NaN }, { query: 'x' }]);
    const data = out.tensors[0]!.data as Float32Array;
    const row = Array.from(data.subarray(0, WIDTH));
    assert.equal(row[0], -1, 'log_price default');
    assert.equal(row[1], 0, 'titles are missing, so title_match is missing (default 0)');
    assert.deepEqual(row.slice(3, 6), [0, 0, 0], 'a one-hot default is all zeros');
    assert.deepEqual(row.slice(6, 14), new Array(8).fill(0), 'an empty query has an empty bag');
    assert.equal(row[22], -1, 'NaN is missing');
    assert.deepEqual(out.tensors[1]!.data, ['', 'x'], 'the empty query is a value, not missing');
    assert.equal(out.vectors[0]!.log_price, null);
    assert.equal(out.vectors[0]!.query_bag, '');
    assert.ok(out.missing > 0);
    const text = await registry.metrics();
    assert.match(text, /skein_feature_missing_total\{feature_set="shop",entity="user"\} 2/);
    assert.match(text, /skein_feature_missing_total\{feature_set="shop",entity="product"\} 2/);
    assert.match(text, /skein_feature_lookup_seconds_count\{source="product"\} 1/);
    await store.close();
  });

  test('one lookup per entity for the whole batch, with distinct ids', async () => {
    const store = await loadedStore();
    const calls: [string, readonly string[]][] = [];
    const counting: FeatureStore = { kind: store.kind, get: (e, ids) => { calls.push([e, ids]); return store.get(e, ids); }, put: store.put.bind(store), close: store.close.bind(store) };
    const { assemble } = createFeatureAssembler({ spec: SPEC, store: counting });
    const out = await assemble([RAW, RAW, { ...RAW, user_id: 'u2' }, { query: 'no ids' }]);
    assert.equal(out.tensors[0]!.shape[0], 4);
    assert.deepEqual(calls.sort(), [['product', ['p1']], ['user', ['u1', 'u2']]]);
    await store.close();
  });

  test('rows whose values are equal give equal tensors, whatever the batch', async () => {
    const store = await loadedStore();
    const { assemble } = createFeatureAssembler({ spec: SPEC, store });
    const alone = await assemble([RAW]);
    const batched = await assemble([{ query: 'other' }, RAW]);
    assert.deepEqual(Array.from((batched.tensors[0]!.data as Float32Array).subarray(WIDTH)), Array.from(alone.tensors[0]!.data as Float32Array));
    assert.deepEqual(batched.vectors[1], alone.vectors[0]);
    await store.close();
  });

  test('raw fields of the wrong type, too long, or unparseable are INVALID_RAW_INPUT naming the field and row', async () => {
    const store = await loadedStore();
    const { assemble } = createFeatureAssembler({ spec: SPEC, store });
    await rawError(() => assemble([RAW, { ...RAW, user_id: { id: 1 } }]), 'field "user_id"', 'entity id', '(row 1)');
    await rawError(() => assemble([{ ...RAW, query: 'x'.repeat(65) }]), 'field "query"', 'longer than 64');
    await rawError(() => assemble([{ ...RAW, amount: 'lots' }]), 'field "amount"', 'number');
    await rawError(() => assemble([{ ...RAW, time: '2024-05-04 06:00' }]), 'field "time"', 'offset');
    await rawError(() => assemble([{ ...RAW, locale: 'en US' }]), 'field "locale"', 'BCP-47');
    await rawError(() => assemble([{ ...RAW, user_id: 'u'.repeat(257) }]), 'field "user_id"', 'longer than 256');
    await rawError(() => assemble(['not an object']), 'JSON object');
    // Numbers are accepted where strings are expected (ids), and numeric text where numbers are.
    const ok = await assemble([{ ...RAW, user_id: 17, amount: '50' }, { ...RAW, amount: 'NaN' }, { ...RAW, amount: '' }]);
    const amounts = ok.tensors[0]!.data as Float32Array;
    assert.deepEqual([amounts[22], amounts[WIDTH + 22], amounts[2 * WIDTH + 22]], [50, -1, -1], 'text NaN and an empty cell are missing');
    await store.close();
  });

  test('a required field, when absent, is INVALID_RAW_INPUT', async () => {
    const store = createFeatureStore({ url: ':memory:' });
    const spec = defineFeatureSet({
      name: 'req',
      entities: { user: { keyField: 'user_id', required: true } },
      features: [numeric('n', request('n', { type: 'number', required: true })), numeric('p', entity('user', 'p'))],
      tensors: [{ name: 'x', datatype: 'FP32', features: ['n', 'p'] }],
    });
    const { assemble } = createFeatureAssembler({ spec, store });
    await rawError(() => assemble([{ user_id: 'u' }]), 'field "n"', 'required');
    await rawError(() => assemble([{ n: 1, user_id: '' }]), 'field "user_id"', 'required');
    assert.equal((await assemble([{ n: 1, user_id: 'u' }])).missing, 1);
    await store.close();
  });

  test('maxRows rows pass; one more is TOO_MANY_ELEMENTS', async () => {
    const store = await loadedStore();
    const { assemble } = createFeatureAssembler({ spec: SPEC, store, maxRows: 3 });
    assert.equal((await assemble([RAW, RAW, RAW])).vectors.length, 3);
    await assert.rejects(assemble([RAW, RAW, RAW, RAW]), (e: unknown) => isServingError(e) && e.code === 'TOO_MANY_ELEMENTS');
    await store.close();
  });

  test('an empty batch gives empty tensors', async () => {
    const store = await loadedStore();
    const out = await createFeatureAssembler({ spec: SPEC, store }).assemble([]);
    assert.deepEqual(out.tensors.map((t) => t.shape), [[0, WIDTH], [0, 1]]);
    await store.close();
  });
});

describe('feature assembler: vectors, timeouts and failing stores', () => {
  test('vectors are built on first read and equal the rows computed one by one, widened features included', async () => {
    const store = await loadedStore();
    const { assemble, featureSet } = createFeatureAssembler({ spec: SPEC, store });
    const rows = [RAW, { ...RAW, user_id: 'nobody', locale: 'fr-FR', query: 'Other, TEXT' }, { query: '' }];
    const out = await assemble(rows);
    const records = await Promise.all(featureSet.entities.map((e) => store.get(e.name, ['u1', 'p1'])));
    const expected = rows.map((raw) => {
      const parsed = parseRaw(featureSet, raw);
      const entities = featureSet.entities.map((e, i) => (parsed.keys[i] === undefined ? undefined : records[i]!.get(parsed.keys[i]!)?.values));
      return vectorOf(featureSet, computeRow(featureSet, parsed.row, entities));
    });
    assert.deepEqual(out.vectors, expected);
    assert.equal(out.vectors, out.vectors, 'built once, then kept');
    assert.equal(out.vectors[0]!.color, 'green');
    assert.equal(out.vectors[0]!.price_bucket, 12);
    assert.equal(out.vectors[1]!.country, 'FR', 'a category outside the one-hot vocabulary is still recorded');
    await store.close();
  });

  test('a store that throws instead of rejecting costs the entities their defaults, never the call', async () => {
    const failures: string[] = [];
    const throwing: FeatureStore = { kind: 'sqlite', get: () => { throw new Error('broken'); }, put: async () => ({ written: 0, stale: 0, expired: 0 }), close: async () => {} };
    const { assemble } = createFeatureAssembler({ spec: SPEC, store: throwing, onStoreError: (e) => failures.push(e) });
    const out = await assemble([RAW]);
    assert.equal(out.vectors[0]!.log_price, null);
    assert.equal((out.tensors[0]!.data as Float32Array)[0], -1);
    assert.deepEqual(failures.sort(), ['product', 'user']);
  });

  test('every lookup of many concurrent calls times out on time, with a single timer armed', async () => {
    const clock = new ManualClock();
    let armed = 0;
    const counting = { now: () => clock.now(), setTimeout: (fn: () => void, ms: number) => { armed++; return clock.setTimeout(fn, ms); } };
    const hung: FeatureStore = { kind: 'redis', get: () => new Promise(() => undefined), put: async () => ({ written: 0, stale: 0, expired: 0 }), close: async () => {} };
    const registry = new Registry();
    const { assemble } = createFeatureAssembler({ spec: SPEC, store: hung, clock: counting, lookupTimeoutMs: 100, metrics: createFeatureMetrics(registry) });
    const calls = Array.from({ length: 50 }, () => assemble([RAW]));
    clock.advance(100);
    const outs = await Promise.all(calls);
    assert.ok(outs.every((o) => o.vectors[0]!.log_price === null && o.vectors[0]!.amount === 100));
    assert.equal(armed, 1, 'one timer for the 100 lookups in flight');
    assert.match(await registry.metrics(), /skein_feature_store_errors_total\{feature_set="shop"\} 100/);
  });
});
