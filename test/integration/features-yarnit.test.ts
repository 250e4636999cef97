import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateShop } from '../../examples/yarnit/data.js';
import { writeFeatureLogs } from '../../examples/yarnit/feature-logs.js';
import { purchaseFeatureSet } from '../../examples/yarnit/feature-set.js';
import { PURCHASE_FEATURE_COUNT, PURCHASE_FEATURES } from '../../examples/yarnit/features.js';
import { exportTrainingRows } from '../../src/features/index.js';

const SEED = 11;
const SIZES = { users: 60, products: 40, events: 600, queries: 10 };
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skein-fyarnit-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('the declarative yarnit feature set, exported point-in-time from messy logs, equals the hand-written features', async () => {
  const logs = await writeFeatureLogs(dir, SEED, SIZES);
  const summary = await exportTrainingRows({
    spec: purchaseFeatureSet,
    events: { file: logs.events },
    entityLogs: { user: { file: logs.users, timeField: 'updated_at' }, product: { file: logs.products, timeField: 'updated_at' } },
    out: { file: join(dir, 'rows.jsonl'), format: 'jsonl' },
    labelField: 'purchased',
    timeField: 'time',
  });
  assert.equal(summary.written, SIZES.events);
  assert.deepEqual(summary.missingEntities, { user: 0, product: 0 });
  const shop = generateShop(SEED, SIZES);
  const rows = (await readFile(join(dir, 'rows.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { label: number; tensors: { features: number[] } });
  rows.forEach((row, i) => {
    assert.equal(row.label, shop.labels[i]);
    const expected = shop.features.subarray(i * PURCHASE_FEATURE_COUNT, (i + 1) * PURCHASE_FEATURE_COUNT);
    row.tensors.features.forEach((v, k) => {
      assert.ok(Math.abs(v - expected[k]!) <= 1e-5, `event ${i}, ${PURCHASE_FEATURES[k]}: ${v} vs ${expected[k]}`);
    });
  });
});
