/**
 * The README's traffic walkthrough on the yarnit shop, end to end over a real server: an A/B/n
 * experiment between purchase versions with feedback from simulated shoppers, a cascade, and a
 * canary of a broken version that rolls back by itself while shoppers see no error.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getJson, postJson, startTestServer, until } from '../../test/helpers/server.js';
import { buildRepository } from './repository.js';
import { simulateShoppers } from './traffic-shopper.js';
import { writeVariant } from './traffic-variants.js';

const here = fileURLToPath(new URL('.', import.meta.url));

describe('yarnit traffic walkthrough', () => {
  let root = '';
  let repo = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'skein-yarnit-traffic-'));
    repo = join(root, 'models');
    await buildRepository(repo, 42);
    await writeVariant(repo, 'mlp64', 3);
    await writeVariant(repo, 'broken', 4);
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('an A/B/n experiment between three purchase versions reports per-arm KPIs from shopper feedback', async () => {
    // startTestServer's close() deletes the repository it served: each test serves a copy.
    const copy = join(root, 'ab-models');
    await cp(repo, copy, { recursive: true });
    const server = await startTestServer(copy, { traffic: join(here, 'traffic', 'ab.yaml'), trafficState: join(root, 'ab.sqlite') });
    try {
      const summary = await simulateShoppers({ url: server.url, sessions: 300 });
      assert.equal(summary.errors, 0);
      assert.deepEqual(Object.keys(summary.byArm).sort(), ['logistic', 'mlp32', 'mlp64']);
      const report = (await getJson(`${server.url}/v2/experiments/ranker/report`)).body;
      assert.equal(report.arms.reduce((s: number, a: any) => s + a.exposures, 0), 300);
      for (const arm of report.arms) {
        assert.equal(arm.exposures, summary.byArm[arm.name]);
        assert.equal(arm.kpis.impression.units, arm.exposures);
      }
      const purchases = report.arms.reduce((s: number, a: any) => s + (a.kpis.purchase?.units ?? 0), 0);
      assert.equal(purchases, summary.purchases);
      assert.ok(report.comparisons.some((c: any) => c.arm === 'mlp64' && c.metric === 'purchase_rate' && typeof c.pValue === 'number'));
      assert.equal(typeof report.srm.mismatch, 'boolean');
      // The cascade answers from the cheap logistic regression when it is sure.
      const rows = Array.from({ length: 16 }, () => 0);
      const res = await postJson(`${server.url}/v2/models/purchase_cascade/infer`, { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 16], data: rows }] });
      assert.equal(res.status, 200);
      assert.ok(res.body.parameters.cascade_stage === 0 || res.body.parameters.cascade_stage === 1);
    } finally {
      await server.close();
    }
  });

  test('a broken canary is rolled back by itself while shoppers see no error', async () => {
    const copy = join(root, 'canary-models');
    await cp(repo, copy, { recursive: true });
    const server = await startTestServer(copy, { traffic: join(here, 'traffic', 'canary.yaml'), trafficState: join(root, 'canary.sqlite') });
    try {
      const summary = await simulateShoppers({ url: server.url, sessions: 600, seed: 11 });
      assert.equal(summary.errors, 0);
      assert.equal(summary.byVersion['4'], undefined, 'the broken version never answered');
      assert.ok(summary.retriedOnStable > 0);
      await until('the rollback', async () => (await getJson(`${server.url}/v2/rollouts/purchase`)).body.state.status === 'rolled_back');
    } finally {
      await server.close();
    }
  });
});
