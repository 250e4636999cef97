/**
 * RELIABILITY.md scenario 15: a 90/10 split over 20k requests stays within statistical bounds,
 * every unit keeps its track, and a rollback to 0% under concurrent load fails no request. Also
 * scenario 12 for traffic state: with the state store unreachable, inference answers 0 5xx.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addModel, writeModel } from '../helpers/models.js';
import { fp32Rows, getJson, postJson, startTestServer, tempRepo, type TestServer } from '../helpers/server.js';
import type { InferRequest } from '../../src/serving/index.js';

const ALL = 'versionPolicy:\n  all: true\nlabels:\n  stable: 1\n';

function req(unit: string): InferRequest {
  return { model: 'm', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: Float32Array.from([1, 2, 3, 4]) }], parameters: { unit_id: unit } };
}

describe('scenario 15: a 90/10 canary split, sticky units, rollback under load', () => {
  let server: TestServer;
  before(async () => {
    const dir = await tempRepo('skein-s15-');
    const repo = join(dir, 'repo');
    await writeModel(repo, 'm', 1, addModel(1), ALL);
    await writeModel(repo, 'm', 2, addModel(2));
    await writeFile(join(dir, 'traffic.yaml'), 'rollouts:\n  - { model: m, canary: 2, steps: [10, 100], stepDwellMs: 3600000, checkIntervalMs: 50 }\n');
    server = await startTestServer(repo, { traffic: join(dir, 'traffic.yaml'), trafficState: join(dir, 'state.sqlite') });
  });
  after(async () => {
    await server.close();
  });

  test('10% of 20k units reach the canary (within 4 standard deviations) and every unit stays on its track', async () => {
    const n = 20_000;
    const track = new Map<string, string>();
    let canary = 0;
    for (let i = 0; i < n; i++) {
      const res = await server.service.infer(req(`s15-${i}`));
      const t = String(res.parameters?.rollout_track);
      track.set(`s15-${i}`, t);
      if (t === 'canary') {
        canary++;
        assert.equal(res.model_version, '2');
      }
    }
    const sd = Math.sqrt(n * 0.1 * 0.9);
    assert.ok(Math.abs(canary - n * 0.1) < 4 * sd, `${canary} canary answers of ${n} (expected ${n * 0.1} ± ${Math.round(4 * sd)})`);
    for (let i = 0; i < n; i += 5) {
      const res = await server.service.infer(req(`s15-${i}`));
      assert.equal(res.parameters?.rollout_track, track.get(`s15-${i}`), `unit s15-${i} moved`);
    }
  });

  test('a rollback to 0% while 32 clients send requests fails none of them, and no canary answers after it', async () => {
    let failures = 0;
    let afterRollback = 0;
    let canaryAfter = 0;
    let rolledBack = false;
    let stop = false;
    const clients = Array.from({ length: 32 }, async (_, c) => {
      for (let i = 0; !stop; i++) {
        const decidedBefore = rolledBack;
        const res = await postJson(`${server.url}/v2/models/m/infer`, { ...fp32Rows([[1, 2, 3, 4]]), parameters: { unit_id: `load-${c}-${i % 50}` } });
        if (res.status !== 200) failures++;
        else if (decidedBefore) {
          afterRollback++;
          if (res.body.model_version === '2') canaryAfter++;
        }
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    const rollback = await postJson(`${server.url}/v2/rollouts/m/rollback`, { reason: 'scenario 15' });
    assert.equal(rollback.status, 200);
    rolledBack = true;
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(clients);
    assert.equal(failures, 0);
    assert.ok(afterRollback > 0);
    assert.equal(canaryAfter, 0);
    assert.equal((await getJson(`${server.url}/v2/rollouts/m`)).body.state.percent, 0);
  });
});

describe('scenario 12 for traffic state: the store unreachable', () => {
  let server: TestServer;
  before(async () => {
    const dir = await tempRepo('skein-s12-');
    const repo = join(dir, 'repo');
    await writeModel(repo, 'e', 1, addModel(1), 'versionPolicy:\n  all: true\n');
    await writeModel(repo, 'e', 2, addModel(2));
    await writeFile(join(dir, 'traffic.yaml'), 'experiments:\n  - { name: down, model: e, arms: [{ name: a, version: 1 }, { name: b, version: 2 }] }\n');
    // Nothing listens on port 1: every store call fails fast.
    server = await startTestServer(repo, { traffic: join(dir, 'traffic.yaml'), trafficState: 'redis://127.0.0.1:1/0' });
  });
  after(async () => {
    await server.close();
  });

  test('inference keeps answering with arms; feedback and reports say STORE_UNAVAILABLE; unrecorded predictions are counted', async () => {
    let fiveXx = 0;
    let id = '';
    for (let i = 0; i < 50; i++) {
      const res = await postJson(`${server.url}/v2/models/e/infer`, { ...fp32Rows([[1, 2, 3, 4]]), parameters: { unit_id: `u${i}` } });
      if (res.status >= 500) fiveXx++;
      assert.match(res.body.parameters.arm, /^(a|b)$/);
      id = res.body.parameters.prediction_id;
    }
    assert.equal(fiveXx, 0);
    await server.traffic!.flush();
    const feedback = await postJson(`${server.url}/v2/feedback`, { prediction_id: id, type: 'click' });
    assert.equal(feedback.status, 503);
    assert.equal(feedback.body.code, 'STORE_UNAVAILABLE');
    const report = await getJson(`${server.url}/v2/experiments/down/report`);
    assert.equal(report.body.code, 'STORE_UNAVAILABLE');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const line = metrics.split('\n').find((l) => l.startsWith('skein_predictions_unrecorded_total{reason="store_error"}'));
    assert.ok(line && Number(line.split(' ').pop()) >= 50, line);
  });
});
