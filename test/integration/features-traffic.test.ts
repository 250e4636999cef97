/**
 * Raw-field requests under traffic rules: the experiment picks the arm first, then the answering
 * version assembles its own feature set (versions may be trained with different features).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defineFeatureSet, numeric, request, saveFeatureSet, scale } from '../../src/features/index.js';
import { identityModel, writeModel } from '../helpers/models.js';
import { postJson, startTestServer, tempRepo, type TestServer } from '../helpers/server.js';

/** One column: the request's `amount` times `mul`; versions 1 and 2 differ only in `mul`. */
const featuresTimes = (mul: number) => defineFeatureSet({
  name: `amount_x${mul}`,
  features: [numeric('amount', request('amount', { type: 'number' }), [scale({ mul })])],
  tensors: [{ name: 'x', datatype: 'FP32', features: ['amount'] }],
});

let server: TestServer;

before(async () => {
  const dir = await tempRepo('skein-features-traffic-');
  const repo = join(dir, 'repo');
  for (const v of [1, 2]) {
    await writeModel(repo, 'amounts', v, identityModel('FP32', ['batch', 1]), 'versionPolicy:\n  all: true\n');
    await saveFeatureSet(join(repo, 'amounts', String(v)), featuresTimes(v));
  }
  await writeFile(join(dir, 'traffic.yaml'), 'experiments:\n  - { name: amounts_test, model: amounts, arms: [{ name: one, version: 1 }, { name: two, version: 2 }] }\n');
  server = await startTestServer(repo, { traffic: join(dir, 'traffic.yaml'), trafficState: ':memory:' });
});
after(async () => {
  await server.close();
});

test('infer-raw under an experiment: the arm chooses the version, which assembles its own features', async () => {
  const seen = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const res = await postJson(`${server.url}/v2/models/amounts/infer-raw`, { raw: { amount: 3 }, parameters: { unit_id: `unit-${i}` } });
    assert.equal(res.status, 200);
    const { arm, experiment, feature_set: set, prediction_id: id } = res.body.parameters;
    assert.equal(experiment, 'amounts_test');
    assert.equal(typeof id, 'string');
    const v = arm === 'one' ? 1 : 2;
    assert.equal(res.body.model_version, String(v));
    assert.equal(set, `amount_x${v}`);
    assert.deepEqual(res.body.outputs[0].data, [3 * v]);
    seen.add(arm);
  }
  assert.deepEqual([...seen].sort(), ['one', 'two']);
});
