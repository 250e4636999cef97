import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFeatureAssembler, createFeatureStore, loadFeatureSet } from '../../src/features/index.js';
import { checkParity, MAX_REPORTED_MISMATCHES, PARITY_EXAMPLES, type RawRow } from './parity.js';
import { buildRepository } from './repository.js';
import { FEATURE_STORE_FILE, RAW_REQUESTS_FILE } from './serving-data.js';

const SEED = 42;

describe('yarnit training/serving parity', () => {
  let root = '';
  let repo = '';
  let storeUrl = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'skein-yarnit-parity-'));
    repo = join(root, 'models');
    await buildRepository(repo, SEED, { dataDir: join(root, 'data') });
    storeUrl = join(root, 'data', FEATURE_STORE_FILE);
  });
  after(async () => { if (root !== '') await rm(root, { recursive: true, force: true }); });

  test('purchase: 1,000 held-out events give identical vectors and model inputs from the exporter and the assembler over the built store', async () => {
    const report = await checkParity({ repositoryDir: repo, storeUrl });
    assert.equal(report.checked, PARITY_EXAMPLES);
    assert.deepEqual(report.mismatches, []);
    assert.equal(report.mismatchCount, 0);
    // Events whose user or product changed after them are left out (the store serves today's values).
    assert.equal(report.heldOut, 4800);
    assert.ok(report.updatedLater > 0 && report.heldOut - report.updatedLater >= PARITY_EXAMPLES, JSON.stringify(report));
    assert.equal(report.schemaHash, (await loadFeatureSet(join(repo, 'purchase', '1'))).schemaHash);
  });

  test('query_category: 1,000 held-out queries reach the model as the same normalized text', async () => {
    const report = await checkParity({ repositoryDir: repo, storeUrl, model: 'query_category' });
    assert.equal(report.checked, PARITY_EXAMPLES);
    assert.equal(report.updatedLater, 0);
    assert.deepEqual(report.mismatches, []);
  });

  test('a store that does not hold the logged values is reported, feature by feature, up to the reporting bound', async () => {
    const report = await checkParity({ repositoryDir: repo, storeUrl: join(root, 'empty.sqlite'), examples: 50 });
    assert.equal(report.checked, 50);
    assert.ok(report.mismatchCount > MAX_REPORTED_MISMATCHES, String(report.mismatchCount));
    assert.equal(report.mismatches.length, MAX_REPORTED_MISMATCHES);
    const first = report.mismatches.find((m) => m.what === 'user.updatedAtMs');
    assert.ok(first !== undefined && typeof first.exported === 'number' && first.served === null);
    const price = report.mismatches.find((m) => m.what === 'log_price');
    assert.ok(price !== undefined && typeof price.exported === 'number' && price.served === null, JSON.stringify(report.mismatches.slice(0, 5)));
  });

  test('an assemble hook is compared in place of the local assembler: one changed value is one mismatch, with its event and feature', async () => {
    const store = createFeatureStore({ url: storeUrl });
    const assembler = createFeatureAssembler({ spec: await loadFeatureSet(join(repo, 'purchase', '2')), store });
    let calls = 0;
    const assemble = async (rows: readonly RawRow[]) => {
      const { vectors } = await assembler.assemble(rows);
      if (calls++ === 0) vectors[0] = { ...vectors[0]!, rating: (vectors[0]!.rating as number) + 1e-9 };
      return vectors;
    };
    try {
      const report = await checkParity({ repositoryDir: repo, storeUrl, version: 2, examples: 300, assemble, assembleBatchRows: 100 });
      assert.equal(calls, 3);
      assert.equal(report.checked, 300);
      assert.equal(report.mismatchCount, 1);
      const [m] = report.mismatches;
      assert.equal(m!.what, 'rating');
      assert.ok(m!.event >= 19_200, 'a held-out event');
      assert.equal((m!.served as number) - (m!.exported as number) > 0, true);
    } finally {
      await store.close();
    }
  });

  test('the raw requests written beside the store are assembled with every entity found', async () => {
    const rows = (await readFile(join(root, 'data', RAW_REQUESTS_FILE), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as RawRow);
    assert.ok(rows.length >= 5);
    assert.deepEqual(rows[0], { query: 'merino wool yarn', user_id: 'u123', product_id: 'p9', locale: 'en-US', time: '2024-06-02T10:00:00+02:00' });
    const store = createFeatureStore({ url: storeUrl });
    try {
      for (const model of ['purchase', 'query_category']) {
        const assembler = createFeatureAssembler({ spec: await loadFeatureSet(join(repo, model, '1')), store });
        const batch = await assembler.assemble(rows);
        assert.deepEqual(batch.tensors[0]!.shape, model === 'purchase' ? [rows.length, 16] : [rows.length, 1]);
        for (const v of batch.vectors) {
          if (model === 'purchase') assert.ok(v.purchase_count !== null && v.product_category !== null, JSON.stringify(v));
          else assert.match(String(v.query), /^[a-z0-9]+( [a-z0-9]+)*$/);
        }
      }
    } finally {
      await store.close();
    }
  });
});
