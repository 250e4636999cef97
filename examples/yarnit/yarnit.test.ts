import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { CATEGORY_NAMES } from './catalog.js';
import { generateShop } from './data.js';
import { PURCHASE_FEATURE_COUNT, tokenize } from './features.js';
import { logLoss } from './metrics.js';
import { FEATURES_FILE, loadFeatureSet, TRAINING_STATS_FILE } from '../../src/features/index.js';
import { buildRepository, repositoryComplete, VERSIONS } from './repository.js';

/** The held-out query_category accuracy the example promises (README states it). */
const QUERY_ACCURACY_FLOOR = 0.95;
const SEED = 42;

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = join(prefix, entry.name);
    if (entry.isDirectory()) out.push(...await listFiles(join(dir, entry.name), rel));
    else out.push(rel);
  }
  return out.sort();
}

async function session(repo: string, version: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(await readFile(join(repo, version, 'model.onnx')));
}

describe('yarnit repository', () => {
  let root = '';
  let repoA = '';
  let repoB = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'skein-yarnit-'));
    repoA = join(root, 'a');
    repoB = join(root, 'b');
    await buildRepository(repoA, SEED);
    await buildRepository(repoB, SEED);
  });
  after(async () => { if (root !== '') await rm(root, { recursive: true, force: true }); });

  test('the same seed writes byte-identical files, and no temp directories are left behind', async () => {
    const files = await listFiles(repoA);
    assert.deepEqual(files, await listFiles(repoB));
    assert.deepEqual(files, [
      'purchase/1/features.json', 'purchase/1/metrics.json', 'purchase/1/model.onnx', 'purchase/1/training-stats.json',
      'purchase/2/features.json', 'purchase/2/metrics.json', 'purchase/2/model.onnx', 'purchase/2/training-stats.json',
      'purchase/config.yaml', 'query_category/1/features.json', 'query_category/1/labels.json', 'query_category/1/metrics.json',
      'query_category/1/model.onnx', 'query_category/1/training-stats.json', 'query_category/config.yaml',
    ]);
    for (const f of files) assert.deepEqual(await readFile(join(repoA, f)), await readFile(join(repoB, f)), f);
  });

  test('rebuilding over an existing repository replaces every version in place', async () => {
    const before = await readFile(join(repoB, 'purchase', '2', 'model.onnx'));
    await buildRepository(repoB, SEED);
    assert.deepEqual(await readFile(join(repoB, 'purchase', '2', 'model.onnx')), before);
    assert.ok((await readdir(join(repoB, 'purchase'))).every((name) => !name.startsWith('.')));
  });

  test('repositoryComplete is true only when every version, its feature files and each config are present', async () => {
    assert.equal(await repositoryComplete(repoA), true);
    assert.equal(await repositoryComplete(join(root, 'missing')), false);
    // A data directory without the feature store is not complete either.
    assert.equal(await repositoryComplete(repoA, join(root, 'no-data')), false);
    await rm(join(repoB, 'query_category', '1', FEATURES_FILE));
    assert.equal(await repositoryComplete(repoB), false);
    await rm(join(repoB, VERSIONS[1]), { recursive: true });
    assert.equal(await repositoryComplete(repoB), false);
  });

  test('each version carries the feature set it was trained with and the statistics of its training rows', async () => {
    for (const version of VERSIONS) {
      const dir = join(repoA, version);
      const set = await loadFeatureSet(dir);
      const stats = JSON.parse(await readFile(join(dir, TRAINING_STATS_FILE), 'utf8'));
      const metrics = JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8'));
      assert.equal(stats.rows, metrics.trainRows, version);
      assert.deepEqual(Object.keys(stats.features), set.features.map((f) => f.name), version);
      // The feature set's tensor is the model's input, so tensor clients and raw clients share a version.
      const s = await session(repoA, version);
      assert.deepEqual(set.tensors.map((t) => t.name), s.inputNames, version);
      assert.equal(set.tensors[0]!.width, version.startsWith('purchase') ? PURCHASE_FEATURE_COUNT : 1, version);
      await s.release();
    }
  });

  test('served by onnxruntime, the MLP (v2) has a lower held-out log loss than logistic regression (v1)', async () => {
    const shop = generateShop(SEED);
    const cut = Math.floor(shop.labels.length * 0.8);
    const x = shop.features.slice(cut * PURCHASE_FEATURE_COUNT);
    const y = shop.labels.subarray(cut);
    const losses: number[] = [];
    for (const version of ['purchase/1', 'purchase/2']) {
      const s = await session(repoA, version);
      const out = await s.run({ features: new ort.Tensor('float32', x, [y.length, PURCHASE_FEATURE_COUNT]) });
      const loss = logLoss(out.probability!.data as Float32Array, y);
      const metrics = JSON.parse(await readFile(join(repoA, version, 'metrics.json'), 'utf8'));
      // metrics.json describes the served float32 model, not only the training run.
      assert.ok(Math.abs(metrics.logLoss - loss) < 1e-4, `${version}: ${metrics.logLoss} vs ${loss}`);
      losses.push(loss);
      await s.release();
    }
    assert.ok(losses[1]! < losses[0]! - 0.01, `MLP ${losses[1]} should beat LR ${losses[0]}`);
  });

  test(`query_category reaches at least ${QUERY_ACCURACY_FLOOR} held-out accuracy with labels.json beside it`, async () => {
    const metrics = JSON.parse(await readFile(join(repoA, 'query_category', '1', 'metrics.json'), 'utf8'));
    assert.ok(metrics.accuracy >= QUERY_ACCURACY_FLOOR, String(metrics.accuracy));
    const labels = JSON.parse(await readFile(join(repoA, 'query_category', '1', 'labels.json'), 'utf8'));
    assert.deepEqual(labels, CATEGORY_NAMES);
  });

  test('query_category maps "cable needles" to equipment/knitting-needles, ignoring case and extra spaces', async () => {
    const s = await session(repoA, 'query_category/1');
    const queries = ['cable needles', '  Cable   NEEDLES ', 'merino wool yarn', 'size 8 circular needles'];
    const out = await s.run({ query: new ort.Tensor('string', queries, [queries.length, 1]) });
    assert.deepEqual(out.category_name!.data, [
      'equipment/knitting-needles', 'equipment/knitting-needles', 'yarn/wool', 'equipment/knitting-needles',
    ]);
    const knitting = BigInt(CATEGORY_NAMES.indexOf('equipment/knitting-needles'));
    assert.equal((out.category!.data as BigInt64Array)[0], knitting);
    const p = out.probabilities!.data as Float32Array;
    const c = CATEGORY_NAMES.length;
    assert.deepEqual(out.probabilities!.dims, [queries.length, c]);
    assert.deepEqual(Array.from(p.subarray(0, c)), Array.from(p.subarray(c, 2 * c)));
    await s.release();
  });

  test('query_category answers an empty query with the prior instead of failing', async () => {
    const s = await session(repoA, 'query_category/1');
    const out = await s.run({ query: new ort.Tensor('string', [''], [1, 1]) });
    const sum = Array.from(out.probabilities!.data as Float32Array).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-5);
    await s.release();
  });

  test('tokenize lowercases ASCII and splits on spaces only, as the model graph does', () => {
    assert.deepEqual(tokenize('  Merino  WOOL yarn '), ['merino', 'wool', 'yarn']);
    assert.deepEqual(tokenize('ÉCRU\tyarn'), ['Écru\tyarn']);
    assert.deepEqual(tokenize(''), []);
  });
});
