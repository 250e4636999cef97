/**
 * Raw-field requests end to end (issue 6, items 4, 5 and 7): a real server with real onnxruntime
 * assembles a version's features from raw fields and a SQLite feature store, answers like /infer,
 * feeds its skew monitor, and reports skew when prices are re-ingested in cents. A server whose
 * Redis feature store is down answers every request with the declared defaults.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compileFeatureSet, createFeatureAssembler, createFeatureStore, defineFeatureSet, entity, featureKinds, locale, localTime, log1p,
  numeric, categorical, oneHot, request, saveFeatureSet, scale, TRAINING_STATS_FILE, type FeatureStore,
} from '../../src/features/index.js';
import { summarize } from '../../src/monitoring/index.js';
import { seededRandom } from '../../src/util/index.js';
import { identityModel, writeModel } from '../helpers/models.js';
import { getJson, postJson, startTestServer, tempRepo, type TestServer } from '../helpers/server.js';

/** 4 features, 6 columns: a request number, an entity price (log1p), a one-hot language, the local hour. */
const BASKET = defineFeatureSet({
  name: 'basket',
  entities: { product: { keyField: 'product_id' } },
  features: [
    numeric('quantity', request('quantity', { type: 'number' })),
    numeric('log_price', entity('product', 'price_usd'), [log1p()], { default: 0 }),
    categorical('language', locale('language'), [oneHot(['en', 'de', 'fr'])]),
    numeric('hour', localTime('hour'), [scale({ mul: 1 / 24 })]),
  ],
  tensors: [{ name: 'x', datatype: 'FP32', features: ['quantity', 'log_price', 'language', 'hour'] }],
});
const WIDTH = 6;
const PRODUCTS = 50;
const TRAINING_ROWS = 3000;
const SKEW_REQUESTS = 1000;
const LOCALES = ['en-US', 'de-DE', 'fr-FR', 'en-GB'];

function rawRows(n: number, seed: number): Record<string, unknown>[] {
  const r = seededRandom(seed);
  const pad = (x: number): string => String(x).padStart(2, '0');
  return Array.from({ length: n }, () => ({
    quantity: 1 + Math.floor(r() * 5),
    product_id: `p${Math.floor(r() * PRODUCTS)}`,
    locale: LOCALES[Math.floor(r() * LOCALES.length)]!,
    time: `2024-05-${pad(1 + Math.floor(r() * 28))}T${pad(Math.floor(r() * 24))}:${pad(Math.floor(r() * 60))}:00+02:00`,
  }));
}

/** Prices in dollars, 5 to 80; `factor` 100 writes the same prices in cents. */
function productRows(updatedAtMs: number, factor = 1): { id: string; values: Record<string, unknown>; updatedAtMs: number }[] {
  const r = seededRandom(7);
  return Array.from({ length: PRODUCTS }, (_, i) => ({ id: `p${i}`, values: { price_usd: Math.round((5 + r() * 75) * 100) / 100 * factor }, updatedAtMs }));
}

let work: string;
let storePath: string;
let store: FeatureStore;
let repo: string;
let server: TestServer;
let schemaHash: string;

async function writeVersion(model: string, opts: { features: boolean; stats?: string }): Promise<void> {
  await writeModel(repo, model, 1, identityModel('FP32', ['batch', WIDTH]));
  const dir = join(repo, model, '1');
  if (opts.features) schemaHash = await saveFeatureSet(dir, BASKET);
  if (opts.stats !== undefined) await writeFile(join(dir, TRAINING_STATS_FILE), opts.stats);
}

/** Training statistics as the exporter writes them: over the vectors of seeded rows, prices in dollars. */
async function trainingStats(): Promise<string> {
  const assembler = createFeatureAssembler({ spec: BASKET, store });
  const { vectors } = await assembler.assemble(rawRows(TRAINING_ROWS, 1));
  return JSON.stringify(summarize(featureKinds(compileFeatureSet(BASKET)), vectors, { seed: 3 }));
}

async function metricValue(url: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Sends each row as its own request, `concurrency` at a time; returns the statuses. */
async function sendRows(url: string, rows: readonly Record<string, unknown>[], concurrency = 8): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < rows.length) {
      const row = rows[next++]!;
      statuses.push((await postJson(url, { raw: row })).status);
    }
  }));
  return statuses;
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'skein-features-serving-'));
  storePath = join(work, 'features.db');
  store = createFeatureStore({ url: storePath });
  await store.put('product', productRows(1000));
  repo = await tempRepo();
  const stats = await trainingStats();
  await writeVersion('basket', { features: true });
  await writeVersion('skew_same', { features: true, stats });
  await writeVersion('skew_cents', { features: true, stats });
  await writeVersion('plain', { features: false });
  server = await startTestServer(repo, { featureStore: storePath });
});

after(async () => {
  await server?.close();
  await store?.close();
  await rm(work, { recursive: true, force: true });
});

describe('POST /v2/models/{m}/infer-raw', () => {
  test('answers with the tensors the assembler makes from the same raw rows (parity), and names the feature set', async () => {
    const rows = rawRows(40, 11);
    const reply = await postJson(`${server.url}/v2/models/basket/infer-raw`, { id: 'r-1', rows });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const expected = await createFeatureAssembler({ spec: BASKET, store }).assemble(rows);
    const y = reply.body.outputs[0];
    assert.deepEqual(y.shape, [40, WIDTH]);
    assert.deepEqual(y.data, [...(expected.tensors[0]!.data as Float32Array)]);
    assert.equal(reply.body.id, 'r-1');
    assert.equal(reply.body.model_name, 'basket');
    assert.equal(reply.body.model_version, '1');
    assert.deepEqual(reply.body.parameters, { feature_set: 'basket', schema_hash: schemaHash, features_missing: 0 });
  });

  test('takes one row as {"raw": {...}} and a version in the path', async () => {
    const [row] = rawRows(1, 12);
    const reply = await postJson(`${server.url}/v2/models/basket/versions/1/infer-raw`, { raw: row });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const expected = await createFeatureAssembler({ spec: BASKET, store }).assemble([row]);
    assert.deepEqual(reply.body.outputs[0].data, [...(expected.tensors[0]!.data as Float32Array)]);
    assert.equal(reply.body.model_version, '1');
  });

  test('a product missing from the store takes the declared default, counted, with status 200', async () => {
    const labels = 'feature_set="basket",entity="product"';
    const before = await metricValue(server.url, 'skein_feature_missing_total', labels);
    const reply = await postJson(`${server.url}/v2/models/basket/infer-raw`, { raw: { quantity: 2, product_id: 'nope', locale: 'de-DE', time: '2024-05-04T12:00:00+02:00' } });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body.outputs[0].data, [2, 0, 0, 1, 0, 0.5]);
    assert.equal(reply.body.parameters.features_missing, 1);
    assert.equal(await metricValue(server.url, 'skein_feature_missing_total', labels), before + 1);
  });

  test('a raw field of the wrong type is 400 INVALID_RAW_INPUT naming the field and row, and counted', async () => {
    const rows = [rawRows(1, 13)[0]!, { quantity: 'lots', product_id: 'p1' }];
    const reply = await postJson(`${server.url}/v2/models/basket/infer-raw`, { rows });
    assert.equal(reply.status, 400);
    assert.equal(reply.body.code, 'INVALID_RAW_INPUT');
    assert.match(reply.body.error, /field "quantity" must be a number \(row 1\)/);
    const time = await postJson(`${server.url}/v2/models/basket/infer-raw`, { raw: { quantity: 1, time: '2024-05-04T12:00:00' } });
    assert.equal(time.body.code, 'INVALID_RAW_INPUT');
    assert.match(time.body.error, /"time"/);
    assert.ok(await metricValue(server.url, 'skein_raw_requests_total', 'model="basket",version="1",outcome="INVALID_RAW_INPUT"') >= 2);
  });

  test('a body without rows or raw, or with tensors, is refused with a message that says what to send', async () => {
    const none = await postJson(`${server.url}/v2/models/basket/infer-raw`, { id: 'x' });
    assert.equal(none.status, 400);
    assert.equal(none.body.code, 'INVALID_RAW_INPUT');
    const empty = await postJson(`${server.url}/v2/models/basket/infer-raw`, { rows: [] });
    assert.equal(empty.body.code, 'INVALID_RAW_INPUT');
    const tensors = await postJson(`${server.url}/v2/models/basket/infer-raw`, { inputs: [] });
    assert.equal(tensors.body.code, 'INVALID_REQUEST');
    assert.match(tensors.body.error, /OIP tensors go to \/infer/);
  });

  test('takes as many rows as the model\'s max batch size (64) and answers TOO_MANY_ELEMENTS one past it', async () => {
    const at = await postJson(`${server.url}/v2/models/basket/infer-raw`, { rows: rawRows(64, 14) });
    assert.equal(at.status, 200);
    assert.deepEqual(at.body.outputs[0].shape, [64, WIDTH]);
    const past = await postJson(`${server.url}/v2/models/basket/infer-raw`, { rows: rawRows(65, 14) });
    assert.equal(past.status, 400);
    assert.equal(past.body.code, 'TOO_MANY_ELEMENTS');
  });

  test('a model without features.json is 400 FEATURES_NOT_CONFIGURED; an unknown model is 404', async () => {
    const reply = await postJson(`${server.url}/v2/models/plain/infer-raw`, { raw: { quantity: 1 } });
    assert.equal(reply.status, 400);
    assert.equal(reply.body.code, 'FEATURES_NOT_CONFIGURED');
    assert.match(reply.body.error, /has no features\.json/);
    const unknown = await postJson(`${server.url}/v2/models/nobody/infer-raw`, { raw: { quantity: 1 } });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'MODEL_NOT_FOUND');
  });
});

describe('GET /v2/models/{m}/skew', () => {
  test('without training-stats.json it is FEATURES_NOT_CONFIGURED, and says the file is missing', async () => {
    const reply = await getJson(`${server.url}/v2/models/basket/skew`);
    assert.equal(reply.status, 400);
    assert.equal(reply.body.code, 'FEATURES_NOT_CONFIGURED');
    assert.match(reply.body.error, /no training-stats\.json/);
    assert.equal((await getJson(`${server.url}/v2/models/plain/skew`)).body.code, 'FEATURES_NOT_CONFIGURED');
  });

  test('served prices as in training: after 1,000 requests nothing is flagged', async () => {
    const statuses = await sendRows(`${server.url}/v2/models/skew_same/infer-raw`, rawRows(SKEW_REQUESTS, 21));
    assert.deepEqual(new Set(statuses), new Set([200]));
    const reply = await getJson(`${server.url}/v2/models/skew_same/skew`);
    assert.equal(reply.status, 200);
    const { skew } = reply.body;
    assert.equal(reply.body.feature_set, 'basket');
    assert.equal(reply.body.schema_hash, schemaHash);
    assert.equal(skew.samples, SKEW_REQUESTS);
    assert.equal(skew.trainingRows, TRAINING_ROWS);
    assert.equal(skew.status, 'ok', JSON.stringify(skew.flagged));
    assert.deepEqual(skew.flagged, []);
    assert.deepEqual(Object.keys(skew.features), ['quantity', 'log_price', 'language', 'hour']);
    assert.equal(reply.body.drift.status, 'insufficient_data', 'the first window has not closed yet');
    assert.equal(await metricValue(server.url, 'skein_feature_skew_flagged', 'model="skew_same",version="1",feature="log_price"'), 0);
  });

  test('prices re-ingested in cents: within 1,000 requests the price feature, and only it, is flagged', async () => {
    await store.put('product', productRows(2000, 100));
    const statuses = await sendRows(`${server.url}/v2/models/skew_cents/infer-raw`, rawRows(SKEW_REQUESTS, 22));
    assert.deepEqual(new Set(statuses), new Set([200]));
    const { skew } = (await getJson(`${server.url}/v2/models/skew_cents/skew`)).body;
    assert.equal(skew.status, 'flagged');
    assert.deepEqual(skew.flagged, ['log_price']);
    assert.ok(skew.features.log_price.psi >= 0.25, `PSI ${skew.features.log_price.psi}`);
    assert.equal(await metricValue(server.url, 'skein_feature_skew_flagged', 'model="skew_cents",version="1",feature="log_price"'), 1);
    assert.equal(await metricValue(server.url, 'skein_feature_skew_flagged', 'model="skew_cents",version="1",feature="quantity"'), 0);
    assert.ok(await metricValue(server.url, 'skein_feature_psi', 'model="skew_cents",version="1",feature="log_price"') >= 0.25);
    assert.equal(await metricValue(server.url, 'skein_raw_requests_total', 'model="skew_cents",version="1",outcome="ok"'), SKEW_REQUESTS);
    await store.put('product', productRows(3000));
  });
});

describe('Redis feature store outage', () => {
  let down: TestServer;
  before(async () => {
    const downRepo = await tempRepo();
    await writeModel(downRepo, 'basket', 1, identityModel('FP32', ['batch', WIDTH]));
    await mkdir(join(downRepo, 'basket', '1'), { recursive: true });
    await saveFeatureSet(join(downRepo, 'basket', '1'), BASKET);
    // Nothing listens on port 1: every lookup fails at once (or within the lookup timeout).
    down = await startTestServer(downRepo, { featureStore: 'redis://127.0.0.1:1' });
  });
  after(async () => {
    await down?.close();
  });

  test('every request answers 200 with the declared defaults, no 5xx, and the store errors are counted', async () => {
    const rows = rawRows(60, 31);
    const statuses = await sendRows(`${down.url}/v2/models/basket/infer-raw`, rows);
    assert.deepEqual(statuses.filter((s) => s !== 200), []);
    const batch = await postJson(`${down.url}/v2/models/basket/infer-raw`, { rows: rows.slice(0, 3) });
    assert.equal(batch.status, 200);
    const data: number[] = batch.body.outputs[0].data;
    for (let i = 0; i < 3; i++) assert.equal(data[i * WIDTH + 1], 0, 'log_price took its default');
    assert.equal(batch.body.parameters.features_missing, 3);
    assert.equal(await metricValue(down.url, 'skein_feature_store_errors_total', 'feature_set="basket"'), rows.length + 3);
  });
});
