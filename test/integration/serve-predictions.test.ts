import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createPredictionStore } from '../../src/offline/index.js';
import { addModel, writeModel } from '../helpers/models.js';
import { fp32Rows, getJson, postJson, startTestServer, tempRepo } from '../helpers/server.js';

test('skein serve --predictions answers published lookups beside live models, with the default for a miss', async () => {
  const repo = await tempRepo();
  await writeModel(repo, 'purchase', 1, addModel(1));
  const url = `sqlite://${join(repo, 'predictions.db')}`;
  const store = await createPredictionStore(url);
  await store.beginRun({ set: 'purchase', runId: 'r1', model: 'purchase', version: '1', defaultValue: { probability: [0.01] } });
  await store.writeChunk('purchase', 'r1', 0, [{ key: 'u1:p9', value: { probability: [0.42] } }], 0);
  await store.completeRun('purchase', 'r1');
  await store.setGateResult('purchase', 'r1', true, { checks: [] });
  await store.publish('purchase', 'r1');
  await store.close();

  const server = await startTestServer(repo, { predictions: url });
  try {
    const hit = await getJson(`${server.url}/v2/predictions/purchase/u1:p9`);
    assert.equal(hit.status, 200, JSON.stringify(hit.body));
    assert.equal(hit.body.model_name, 'purchase');
    assert.equal(hit.body.model_version, '1');
    const many = await postJson(`${server.url}/v2/predictions/purchase/lookup`, { keys: ['u1:p9', 'u2:p1'] });
    assert.equal(many.status, 200);
    assert.deepEqual(many.body.results.map((r: { key: string; value: unknown; default: boolean }) => [r.key, r.value, r.default]), [
      ['u1:p9', { probability: [0.42] }, false],
      ['u2:p1', { probability: [0.01] }, true],
    ]);
    const unknown = await getJson(`${server.url}/v2/predictions/nope/u1`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'SET_NOT_FOUND');
    // The live model still answers on the same server.
    const live = await postJson(`${server.url}/v2/models/purchase/infer`, fp32Rows([[1, 1, 1, 1]]));
    assert.deepEqual(live.body.outputs[0].data, [2, 2, 2, 2]);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.ok(metrics.includes('skein_prediction_lookups_total'));
  } finally {
    await server.close();
  }
});
