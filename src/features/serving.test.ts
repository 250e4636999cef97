import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { OTHER_CATEGORY, summarize } from '../monitoring/index.js';
import type { Signature } from '../tensor/index.js';
import { ManualClock } from '../util/index.js';
import {
  categorical, compileFeatureSet, createFeatureServing, defineFeatureSet, entity, feature, featureKinds, locale, log1p, normalize, numeric,
  oneHot, planWatch, request, rowPredictions, saveFeatureSet, tokenize, watchedVector, TRAINING_STATS_FILE, type FeatureServingOptions,
} from './index.js';

const SPEC = defineFeatureSet({
  name: 'mini',
  entities: { product: { keyField: 'product_id' } },
  features: [
    numeric('amount', request('amount', { type: 'number' })),
    numeric('log_price', entity('product', 'price_usd'), [log1p()]),
    categorical('category', entity('product', 'category', 'string')),
    categorical('language', locale('language'), [oneHot(['en', 'de'])]),
    categorical('query_text', request('query'), [normalize()]),
    categorical('device', request('device'), [oneHot(['ios', 'android'])]),
    feature('query_tokens', request('query'), [normalize(), tokenize()]),
  ],
  tensors: [{ name: 'x', datatype: 'FP32', features: ['amount', 'log_price', 'language', 'device'] }],
});
const SIGNATURE: Signature = {
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 6] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 6] }],
};

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function repo(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'skein-feature-serving-'));
  dirs.push(root);
  return root;
}

function trainingVector(i: number): Record<string, number | string | null> {
  return {
    amount: i % 10, log_price: Math.log1p(10 + (i % 7)), category: i % 2 === 0 ? 'yarn' : 'needles', language: i % 3 === 0 ? 'de' : 'en',
    query_text: `query ${i}`, device: i % 2 === 0 ? 'ios' : 'android', query_tokens: `query ${i}`,
  };
}

async function writeVersion(root: string, model: string, version: number, opts: { stats?: boolean } = {}): Promise<void> {
  const dir = join(root, model, String(version));
  await mkdir(dir, { recursive: true });
  await saveFeatureSet(dir, SPEC);
  if (opts.stats !== false) {
    const rows = Array.from({ length: 1000 }, (_, i) => trainingVector(i));
    await writeFile(join(dir, TRAINING_STATS_FILE), JSON.stringify(summarize(featureKinds(compileFeatureSet(SPEC)), rows, { seed: 1 })));
  }
}

function serving(root: string, over: Partial<FeatureServingOptions> = {}) {
  const clock = new ManualClock(0);
  const registry = new Registry();
  const fs = createFeatureServing({ repositoryRoot: root, registry, clock, skew: { random: () => 0 }, ...over });
  return { fs, clock, registry };
}

async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (err: { code?: string; message: string }) => {
    assert.equal(err.code, code);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('feature serving', () => {
  test('loads a version\'s features once and answers later calls from memory', async () => {
    const root = await repo();
    await writeVersion(root, 'm', 1);
    const { fs } = serving(root);
    const a = await fs.forVersion({ model: 'm', version: 1, signature: SIGNATURE });
    const b = await fs.forVersion({ model: 'm', version: 1, signature: SIGNATURE });
    assert.equal(a, b);
    assert.equal(a.featureSet.spec.name, 'mini');
    assert.ok(a.monitor);
    assert.equal(a.statsProblem, undefined);
    const batch = await a.assembler.assemble([{ amount: 3, product_id: 'p1', locale: 'de-DE', device: 'ios' }]);
    assert.deepEqual([...(batch.tensors[0]!.data as Float32Array)], [3, 0, 0, 1, 1, 0]);
    await fs.close();
  });

  test('a version without features.json is FEATURES_NOT_CONFIGURED until one appears (after retryMissingMs)', async () => {
    const root = await repo();
    await mkdir(join(root, 'm', '2'), { recursive: true });
    const { fs, clock } = serving(root, { retryMissingMs: 1000 });
    await rejectsWith(fs.forVersion({ model: 'm', version: 2 }), 'FEATURES_NOT_CONFIGURED', /model 'm' version 2 has no features\.json/);
    await writeVersion(root, 'm', 2);
    clock.advance(999);
    await rejectsWith(fs.forVersion({ model: 'm', version: 2 }), 'FEATURES_NOT_CONFIGURED');
    clock.advance(1);
    assert.equal((await fs.forVersion({ model: 'm', version: 2 })).version, 2);
    await fs.close();
  });

  test('a features.json whose tensors do not fit the model is INVALID_FEATURE_DEFINITION naming the tensor', async () => {
    const root = await repo();
    await writeVersion(root, 'm', 1);
    const { fs } = serving(root);
    const wide: Signature = { ...SIGNATURE, inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 7] }] };
    await rejectsWith(fs.forVersion({ model: 'm', version: 1, signature: wide }), 'INVALID_FEATURE_DEFINITION', /tensor "x" has 6 columns, the model's input takes 7/);
    const other: Signature = { ...SIGNATURE, inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 6] }] };
    await rejectsWith(fs.forVersion({ model: 'm', version: 1, generation: {}, signature: other }), 'INVALID_FEATURE_DEFINITION', /tensor "x" is not an input/);
    await fs.close();
  });

  test('without training-stats.json the version serves without a monitor and says why', async () => {
    const root = await repo();
    await writeVersion(root, 'm', 1, { stats: false });
    const { fs } = serving(root);
    const served = await fs.forVersion({ model: 'm', version: 1 });
    assert.equal(served.monitor, undefined);
    assert.match(served.statsProblem!, /has no training-stats\.json/);
    served.observe({ vectors: [trainingVector(1)] }, []);
    // Vectors are built on first read; without a monitor nobody reads them.
    let built = 0;
    served.observe({
      get vectors() {
        built++;
        return [trainingVector(1)];
      },
    }, []);
    assert.equal(built, 0);
    assert.equal(served.recentReport(), undefined);
    assert.equal(served.reports(), undefined);
    await fs.close();
  });

  test('an invalid training-stats.json is reported, not thrown', async () => {
    const root = await repo();
    await writeVersion(root, 'm', 1, { stats: false });
    await writeFile(join(root, 'm', '1', TRAINING_STATS_FILE), '{"format":"other"}');
    const { fs } = serving(root);
    const served = await fs.forVersion({ model: 'm', version: 1 });
    assert.equal(served.monitor, undefined);
    assert.match(served.statsProblem!, /training-stats\.json is invalid/);
    await fs.close();
  });

  test('a new generation of the version reads its files again; isServed drops versions no longer served', async () => {
    const root = await repo();
    await writeVersion(root, 'm', 1);
    const live = new Set<object>();
    const { fs, clock } = serving(root, { isServed: (_m, _v, g) => g !== undefined && live.has(g) });
    const g1 = {};
    live.add(g1);
    const first = await fs.forVersion({ model: 'm', version: 1, generation: g1 });
    const g2 = {};
    live.add(g2);
    const second = await fs.forVersion({ model: 'm', version: 1, generation: g2 });
    assert.notEqual(first, second);
    await writeVersion(root, 'm', 3);
    await fs.forVersion({ model: 'm', version: 3, generation: {} });
    assert.equal(fs.size(), 2);
    clock.advance(1000);
    live.delete(g2);
    await fs.forVersion({ model: 'm', version: 1, generation: g1 });
    assert.equal(fs.size(), 1, 'the sweep dropped version 3 (never served) and re-added version 1');
    fs.forget('m', 1);
    assert.equal(fs.size(), 0);
    await fs.close();
  });

  test('holds at most maxVersions versions: the least recently used leaves first', async () => {
    const root = await repo();
    for (const v of [1, 2, 3]) await writeVersion(root, 'm', v);
    const { fs } = serving(root, { maxVersions: 2 });
    const one = await fs.forVersion({ model: 'm', version: 1 });
    await fs.forVersion({ model: 'm', version: 2 });
    assert.equal(await fs.forVersion({ model: 'm', version: 1 }), one);
    assert.equal(fs.size(), 2);
    await fs.forVersion({ model: 'm', version: 3 });
    assert.equal(fs.size(), 2);
    assert.equal(await fs.forVersion({ model: 'm', version: 1 }), one, 'version 1 was used last, so version 2 left');
    assert.notEqual(await fs.forVersion({ model: 'm', version: 2 }), undefined);
    await fs.close();
  });

  test('rejects a bad option at creation with INVALID_CONFIG', () => {
    assert.throws(() => createFeatureServing({ repositoryRoot: '/nowhere', registry: new Registry(), maxVersions: 0 }), { code: 'INVALID_CONFIG' });
    assert.throws(() => createFeatureServing({ repositoryRoot: '/nowhere', registry: new Registry(), skew: { sampleRate: 2 } }), { code: 'INVALID_CONFIG' });
  });

  test('exports PSI and flagged gauges per watched feature from the monitor, and drops them with the version', async () => {
    const root = await repo();
    await writeVersion(root, 'm', 1);
    const { fs, registry, clock } = serving(root);
    const served = await fs.forVersion({ model: 'm', version: 1 });
    const before = await registry.getSingleMetricAsString('skein_feature_psi');
    assert.doesNotMatch(before, /model="m"/);
    // Prices ten times higher than in training: log_price shifts, nothing else does.
    const vectors = Array.from({ length: 400 }, (_, i) => ({ ...trainingVector(i), log_price: Math.log1p(100 + (i % 7) * 10) }));
    served.observe({ vectors }, [{ name: 'y', datatype: 'FP32', shape: [400, 1], data: new Float32Array(400) }]);
    assert.doesNotMatch(await registry.getSingleMetricAsString('skein_feature_skew_flagged'), /\} 1/, 'a scrape within reportMinIntervalMs reuses the last report');
    clock.advance(5000);
    const flagged = await registry.getSingleMetricAsString('skein_feature_skew_flagged');
    assert.match(flagged, /skein_feature_skew_flagged\{model="m",version="1",feature="log_price"\} 1/);
    assert.match(flagged, /feature="amount"\} 0/);
    assert.match(flagged, /feature="category"\} 0/);
    assert.doesNotMatch(flagged, /query_text|query_tokens/, 'free text is never watched');
    assert.match(await registry.getSingleMetricAsString('skein_feature_psi'), /feature="log_price"\} [0-9.]+/);
    fs.countRaw('m', '1', 'ok');
    assert.match(await registry.getSingleMetricAsString('skein_raw_requests_total'), /model="m",version="1",outcome="ok"\} 1/);
    fs.forget('m', 1);
    assert.doesNotMatch(await registry.getSingleMetricAsString('skein_feature_psi'), /model="m"/);
    await fs.close();
  });

  test('the gauges follow the latest recentSamples vectors; GET /skew\'s reports keep every retained sample', async () => {
    const root = await repo();
    await writeVersion(root, 'm', 1);
    const { fs, registry } = serving(root, { recentSamples: 300 });
    const served = await fs.forVersion({ model: 'm', version: 1 });
    const skewed = Array.from({ length: 300 }, (_, i) => ({ ...trainingVector(i), log_price: Math.log1p(1000 + i) }));
    const normal = Array.from({ length: 300 }, (_, i) => trainingVector(i + 7));
    served.observe({ vectors: skewed }, []);
    served.observe({ vectors: normal }, []);
    assert.match(await registry.getSingleMetricAsString('skein_feature_skew_flagged'), /feature="log_price"\} 0/);
    const reports = served.reports()!;
    assert.equal(reports.skew.samples, 600);
    assert.deepEqual(reports.skew.flagged, ['log_price']);
    assert.equal(reports.drift.status, 'insufficient_data');
    await fs.close();
  });
});

describe('what the skew monitor may keep', () => {
  const set = compileFeatureSet(SPEC);
  const stats = summarize(featureKinds(set), Array.from({ length: 300 }, (_, i) => trainingVector(i)), { seed: 1 });
  const plan = planWatch(set, stats);

  test('leaves out token lists and request text without a vocabulary, and says why', () => {
    assert.deepEqual(plan.unwatched, { query_text: 'text of a request field without a one-hot vocabulary', query_tokens: 'a token list (free text)' });
    assert.deepEqual(Object.keys(plan.stats.features), ['amount', 'log_price', 'category', 'language', 'device']);
  });

  test('maps values outside a request field\'s vocabulary, long values and secrets to __other__', () => {
    const email = 'someone@example.com';
    const v = watchedVector(plan, { amount: 2, log_price: null, category: email, language: 'x'.repeat(65), device: 'my-own-device-name', query_text: 'secret', query_tokens: 'secret' });
    assert.deepEqual(v, { amount: 2, log_price: null, category: OTHER_CATEGORY, language: OTHER_CATEGORY, device: OTHER_CATEGORY });
    const kept = watchedVector(plan, { amount: 1, log_price: 2, category: 'yarn', language: 'x'.repeat(64), device: 'ios' });
    assert.deepEqual(kept, { amount: 1, log_price: 2, category: 'yarn', language: 'x'.repeat(64), device: 'ios' });
  });

  test('takes each row\'s first value of the first numeric output as its prediction', () => {
    assert.deepEqual(rowPredictions([{ name: 'y', datatype: 'FP32', shape: [2, 2], data: new Float32Array([0.5, 9, 0.25, 9]) }], 2), [0.5, 0.25]);
    assert.deepEqual(rowPredictions([{ name: 'y', datatype: 'INT64', shape: [2], data: new BigInt64Array([3n, 4n]) }], 2), [3, 4]);
    assert.deepEqual(rowPredictions([{ name: 'y', datatype: 'BYTES', shape: [1], data: ['a'] }], 1), [undefined]);
    assert.deepEqual(rowPredictions([], 2), [undefined, undefined]);
  });
});
