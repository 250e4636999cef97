/**
 * Traffic end to end over a real server: experiments, canary rollouts that roll back by
 * themselves, shadows, cascades, fallbacks, feedback and the experiment report.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateApiKey } from '../../src/auth/index.js';
import { connectGrpc } from '../helpers/grpc-client.js';
import { skein } from '../helpers/cli.js';
import { addModel, failingModel, slowModel, writeModel } from '../helpers/models.js';
import { fp32Rows, getJson, postJson, startTestServer, tempRepo, until, type TestServer } from '../helpers/server.js';
import type { InferRequest } from '../../src/serving/index.js';

const NO_WARMUP = 'warmup:\n  enabled: false\nversionPolicy:\n  all: true\n';
const ALL = 'versionPolicy:\n  all: true\n';

function row(x: number, unit?: string): InferRequest {
  return {
    model: 'ab',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: Float32Array.from([x, 0, 0, 0]) }],
    ...(unit !== undefined ? { parameters: { unit_id: unit } } : {}),
  };
}

async function metric(url: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.split(' ').pop());
  }
  return total;
}

describe('experiments and feedback', () => {
  let server: TestServer;
  let dir: string;

  before(async () => {
    dir = await tempRepo('skein-traffic-');
    const repo = join(dir, 'repo');
    for (const v of [1, 2, 3]) await writeModel(repo, 'ab', v, addModel(v), ALL);
    await writeFile(join(dir, 'traffic.yaml'), `
experiments:
  - name: ranker
    model: ab
    arms:
      - { name: control, version: 1 }
      - { name: b1, version: 2 }
      - { name: b2, version: 3, weight: 2 }
feedback:
  customTypes: [page_view]
`);
    server = await startTestServer(repo, { traffic: join(dir, 'traffic.yaml'), trafficState: join(dir, 'state.sqlite') });
  });
  after(async () => {
    await server.close();
  });

  test('arms get traffic in proportion to their weights over 20k units, and every unit stays on its arm', async () => {
    const arms = new Map<string, number>();
    const first = new Map<string, string>();
    for (let i = 0; i < 20_000; i++) {
      const res = await server.service.infer(row(0, `user-${i}`));
      const arm = String(res.parameters?.arm);
      arms.set(arm, (arms.get(arm) ?? 0) + 1);
      first.set(`user-${i}`, arm);
      // The version that answered is the arm's version.
      assert.equal(res.model_version, { control: '1', b1: '2', b2: '3' }[arm]);
    }
    const expected = { control: 5000, b1: 5000, b2: 10_000 };
    const chi2 = Object.entries(expected).reduce((s, [a, e]) => s + ((arms.get(a) ?? 0) - e) ** 2 / e, 0);
    assert.ok(chi2 < 13.816, `chi-square ${chi2.toFixed(2)} over ${JSON.stringify([...arms])} (critical value at p=0.001, 2 df: 13.816)`);
    let moved = 0;
    for (let i = 0; i < 20_000; i += 7) {
      const res = await server.service.infer(row(0, `user-${i}`));
      if (res.parameters?.arm !== first.get(`user-${i}`)) moved++;
    }
    assert.equal(moved, 0, 'units changed arms');
  });

  test('the REST reply names the experiment, the arm and a prediction id; without a unit, control answers unexposed', async () => {
    const res = await postJson(`${server.url}/v2/models/ab/infer`, { ...fp32Rows([[1, 2, 3, 4]]), parameters: { unit_id: 'u-rest' } });
    assert.equal(res.status, 200);
    assert.equal(res.body.parameters.experiment, 'ranker');
    assert.match(res.body.parameters.arm, /^(control|b1|b2)$/);
    assert.match(res.body.parameters.prediction_id, /^[0-9a-f-]{36}$/);
    const anon = await postJson(`${server.url}/v2/models/ab/infer`, fp32Rows([[1, 2, 3, 4]]));
    assert.equal(anon.body.model_version, '1');
    assert.equal(anon.body.parameters.arm, undefined);
    assert.ok(await metric(server.url, 'skein_experiment_unassigned_total', { experiment: 'ranker' }) >= 1);
    // An explicit version wins over the experiment.
    const pinned = await postJson(`${server.url}/v2/models/ab/versions/2/infer`, { ...fp32Rows([[1, 2, 3, 4]]), parameters: { unit_id: 'u-rest' } });
    assert.equal(pinned.body.model_version, '2');
    assert.equal(pinned.body.parameters.arm, undefined);
  });

  test('feedback: unknown ids and malformed events are refused whole; duplicates count once; the report matches a hand computation', async () => {
    // A fresh experiment view: count what this test adds on top of what is already recorded.
    const before = (await getJson(`${server.url}/v2/experiments/ranker/report`)).body;
    const ids: Record<string, string[]> = { control: [], b1: [], b2: [] };
    for (let i = 0; i < 600; i++) {
      const res = await server.service.infer(row(0, `fb-${i}`));
      ids[String(res.parameters!.arm)]!.push(String(res.parameters!.prediction_id));
    }
    // control: every 10th prediction purchased (value 10); b2: every 5th (value 20); b1: none.
    const events: unknown[] = [];
    ids.control!.forEach((id, i) => { if (i % 10 === 0) events.push({ prediction_id: id, type: 'purchase', value: 10 }); });
    ids.b2!.forEach((id, i) => { if (i % 5 === 0) events.push({ prediction_id: id, type: 'purchase', value: 20 }); });
    ids.b1!.forEach((id) => events.push({ prediction_id: id, type: 'click' }));

    const unknown = await postJson(`${server.url}/v2/feedback`, { events: [...events.slice(0, 3), { prediction_id: 'not-a-real-prediction', type: 'click' }] });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'PREDICTION_NOT_FOUND');
    const malformed = await postJson(`${server.url}/v2/feedback`, { events: [...events.slice(0, 3), { prediction_id: ids.b1![0], type: 'purchase', value: -5 }] });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.code, 'INVALID_FEEDBACK');
    assert.match(malformed.body.error, /event 3: value/);
    const badType = await postJson(`${server.url}/v2/feedback`, { prediction_id: ids.b1![0], type: 'teleport' });
    assert.equal(badType.body.code, 'INVALID_FEEDBACK');

    const ok = await postJson(`${server.url}/v2/feedback`, { events });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { counted: events.length, duplicates: 0 });
    const again = await postJson(`${server.url}/v2/feedback`, { events: events.slice(0, 10) });
    assert.deepEqual(again.body, { counted: 0, duplicates: 10 });
    // A custom type declared in traffic.yaml is accepted.
    assert.equal((await postJson(`${server.url}/v2/feedback`, { prediction_id: ids.b1![0], type: 'page_view' })).status, 200);

    const report = (await getJson(`${server.url}/v2/experiments/ranker/report`)).body;
    const arm = (r: any, name: string) => r.arms.find((a: any) => a.name === name);
    const n = (name: string) => arm(report, name).exposures;
    for (const name of ['control', 'b1', 'b2']) assert.equal(n(name) - arm(before, name).exposures, ids[name]!.length);
    const buys = (name: string) => arm(report, name).kpis.purchase?.units ?? 0;
    assert.equal(buys('control'), Math.ceil(ids.control!.length / 10));
    assert.equal(buys('b2'), Math.ceil(ids.b2!.length / 5));
    assert.equal(arm(report, 'b1').kpis.click.units, ids.b1!.length);

    // Two-proportion z-test of b2 against control, by hand.
    const [n0, s0, n1, s1] = [n('control'), buys('control'), n('b2'), buys('b2')];
    const p0 = s0 / n0;
    const p1 = s1 / n1;
    const pooled = (s0 + s1) / (n0 + n1);
    const z = (p1 - p0) / Math.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1));
    const cmp = report.comparisons.find((c: any) => c.arm === 'b2' && c.metric === 'purchase_rate');
    assert.ok(Math.abs(cmp.difference - (p1 - p0)) < 1e-12);
    const half = 1.959963984540054 * Math.sqrt(p0 * (1 - p0) / n0 + p1 * (1 - p1) / n1);
    assert.ok(Math.abs(cmp.ci[0] - (p1 - p0 - half)) < 1e-9 && Math.abs(cmp.ci[1] - (p1 - p0 + half)) < 1e-9);
    // Two-sided p from z with a textbook normal CDF approximation (Abramowitz–Stegun 26.2.17, |error| < 7.5e-8).
    const t = 1 / (1 + 0.2316419 * Math.abs(z));
    const tail = (Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI)) * t * (0.319381530 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
    assert.ok(Math.abs(cmp.pValue - 2 * tail) < 1e-6, `p ${cmp.pValue} vs ${2 * tail}`);
    // Value per exposure (purchase amounts) is compared too.
    const value = report.comparisons.find((c: any) => c.arm === 'b2' && c.metric === 'purchase_value');
    assert.ok(Math.abs(value.treatment - (20 * s1) / n1) < 1e-9);
    assert.equal(report.srm.mismatch, false);
    assert.equal(report.srm.observed.length, 3);
  });

  test('the CLI prints the report and moves labels; its errors carry the code', async () => {
    const report = await skein(['experiment', 'report', 'ranker', '--url', server.url]);
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /experiment ranker \(control: control/);
    assert.match(report.stdout, /b2\tpurchase_rate/);
    assert.match(report.stdout, /sample ratio mismatch: no/);
    const json = JSON.parse((await skein(['experiment', 'report', 'ranker', '--json', '--url', server.url])).stdout);
    assert.equal(json.experiment, 'ranker');
    const moved = await skein(['label', 'set', 'ab', 'gold', '3', '--url', server.url]);
    assert.equal(moved.code, 0, moved.stderr);
    assert.equal(JSON.parse(moved.stdout).labels.gold, 3);
    const refused = await skein(['label', 'set', 'ab', 'gold', '9', '--url', server.url]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /409 LABEL_TARGET_NOT_READY/);
  });

  test('an unknown experiment is a coded 404', async () => {
    const res = await getJson(`${server.url}/v2/experiments/nope/report`);
    assert.equal(res.status, 404);
    assert.equal(res.body.code, 'EXPERIMENT_NOT_FOUND');
  });
});

describe('canary rollouts', () => {
  let dir: string;
  let server: TestServer;
  // Every server a test starts is closed here, even when the test fails half way.
  const started: TestServer[] = [];

  before(async () => {
    dir = await tempRepo('skein-canary-');
  });
  after(async () => {
    for (const s of started) await s.close();
  });

  async function serve(canary: Uint8Array, rollout: string, config = NO_WARMUP): Promise<TestServer> {
    const repo = await tempRepo('skein-canary-repo-');
    await writeModel(repo, 'm', 1, addModel(1), `${config}labels:\n  stable: 1\n`);
    await writeModel(repo, 'm', 2, canary);
    const file = join(dir, `traffic-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, rollout);
    const s = await startTestServer(repo, { traffic: file, trafficState: join(dir, `${Math.random().toString(36).slice(2)}.sqlite`) });
    started.push(s);
    return s;
  }

  test('a canary that fails is rolled back by itself while every client gets a 200 from stable', async () => {
    server = await serve(failingModel(), `
rollouts:
  - model: m
    canary: 2
    steps: [20, 50, 100]
    stepDwellMs: 60000
    checkIntervalMs: 20
`);
    let failures = 0;
    let canaryAnswers = 0;
    for (let i = 0; i < 400; i++) {
      const res = await postJson(`${server.url}/v2/models/m/infer`, { ...fp32Rows([[1, 2, 3, 4]]), parameters: { unit_id: `c-${i}` } });
      if (res.status !== 200) failures++;
      else if (res.body.model_version === '2') canaryAnswers++;
    }
    assert.equal(failures, 0);
    assert.equal(canaryAnswers, 0, 'a failing canary never answers');
    await until('the rollout to roll back', async () => (await getJson(`${server.url}/v2/rollouts/m`)).body.state.status === 'rolled_back');
    const view = (await getJson(`${server.url}/v2/rollouts/m`)).body;
    assert.equal(view.state.percent, 0);
    assert.match(view.state.reason, /error rate/);
    assert.ok(view.history.some((h: any) => h.event === 'rolled_back' && h.detail.automatic === true));
    assert.equal(await metric(server.url, 'skein_rollout_canary_percent', { model: 'm' }), 0);
    assert.ok(await metric(server.url, 'skein_rollout_requests_total', { model: 'm', outcome: 'retried_on_stable' }) > 0);
  });

  test('a slow canary is rolled back on the p99 guardrail', async () => {
    // Both versions warmed up, so stable's p99 is its steady latency, not a cold first run.
    server = await serve(slowModel(6), `
rollouts:
  - model: m
    canary: 2
    steps: [50, 100]
    stepDwellMs: 60000
    checkIntervalMs: 20
    guardrails: { maxP99LatencyRatio: 3 }
`, ALL);
    for (let i = 0; i < 600 && (await getJson(`${server.url}/v2/rollouts/m`)).body.state.status === 'ramping'; i++) {
      const res: { status: number } = await postJson(`${server.url}/v2/models/m/infer`, { ...fp32Rows([[1, 2, 3, 4]]), parameters: { unit_id: `s-${i}` } });
      assert.equal(res.status, 200);
    }
    await until('the rollout to roll back', async () => (await getJson(`${server.url}/v2/rollouts/m`)).body.state.status === 'rolled_back');
    assert.match((await getJson(`${server.url}/v2/rollouts/m`)).body.state.reason, /p99/);
  });

  test('a healthy canary walks every step and is promoted: the stable label then names it', async () => {
    server = await serve(addModel(2), `
rollouts:
  - model: m
    canary: 2
    steps: [10, 50, 100]
    stepDwellMs: 30
    minRequestsPerStep: 5
    checkIntervalMs: 20
`, ALL);
    for (let i = 0; i < 5000 && (await getJson(`${server.url}/v2/rollouts/m`)).body.state.status !== 'completed'; i++) {
      const res: { status: number } = await postJson(`${server.url}/v2/models/m/infer`, fp32Rows([[1, 2, 3, 4]]));
      assert.equal(res.status, 200);
    }
    const view = (await getJson(`${server.url}/v2/rollouts/m`)).body;
    assert.equal(view.state.status, 'completed');
    assert.deepEqual(view.history.filter((h: any) => h.event === 'step').map((h: any) => h.detail.percent), [50, 100]);
    assert.equal((await getJson(`${server.url}/v2/models/m/labels`)).body.labels.stable, 2);
    const res = await postJson(`${server.url}/v2/models/m/versions/stable/infer`, fp32Rows([[1, 2, 3, 4]]));
    assert.equal(res.body.model_version, '2');
  });

  test('operators pause, resume and roll back by API; a refused command says why', async () => {
    server = await serve(addModel(2), `
rollouts:
  - model: m
    canary: 2
    stepDwellMs: 600000
    checkIntervalMs: 20
`);
    const pause = await postJson(`${server.url}/v2/rollouts/m/pause`, { reason: 'investigating' });
    assert.equal(pause.status, 200);
    assert.equal(pause.body.state.status, 'paused');
    assert.equal((await postJson(`${server.url}/v2/rollouts/m/resume`, {})).body.state.status, 'ramping');
    assert.equal((await postJson(`${server.url}/v2/rollouts/m/rollback`, {})).body.state.status, 'rolled_back');
    const refused = await postJson(`${server.url}/v2/rollouts/m/promote`, {});
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'ROLLOUT_CONFLICT');
    const unknown = await postJson(`${server.url}/v2/rollouts/nope/pause`, {});
    assert.equal(unknown.body.code, 'ROLLOUT_NOT_FOUND');
    const badCommand = await postJson(`${server.url}/v2/rollouts/m/explode`, {});
    assert.equal(badCommand.status, 404);
    assert.match(badCommand.body.error, /use one of start, pause, resume, promote, rollback/);
    // A label may point only at a ready version.
    const bad = await fetch(`${server.url}/v2/models/m/labels/stable`, { method: 'PUT', body: JSON.stringify({ version: 9 }), headers: { 'content-type': 'application/json' } });
    assert.equal(bad.status, 409);
    assert.equal(((await bad.json()) as { code: string }).code, 'LABEL_TARGET_NOT_READY');
  });
});

describe('shadows, cascades and fallbacks', () => {
  let server: TestServer;

  before(async () => {
    const dir = await tempRepo('skein-sf-');
    const repo = join(dir, 'repo');
    // The default (latest) version 2 answers; the failing version 1 is the shadow.
    await writeModel(repo, 'mirrored', 1, failingModel(), NO_WARMUP);
    await writeModel(repo, 'mirrored', 2, addModel(1));
    await writeModel(repo, 'cheap', 1, addModel(0));
    await writeModel(repo, 'expensive', 1, addModel(10));
    await writeModel(repo, 'flaky', 1, failingModel(), NO_WARMUP);
    await writeFile(join(dir, 'traffic.yaml'), `
shadows:
  - { model: mirrored, version: 1, percent: 100 }
cascades:
  - name: chain
    stages:
      - { model: cheap, rule: { margin: 0.3 } }
      - { model: expensive }
fallbacks:
  - model: flaky
    circuitBreaker: { consecutiveFailures: 3, halfOpenAfterMs: 600000 }
    chain:
      - { default: { outputs: [{ name: y, datatype: FP32, shape: [4], value: 0.01 }] } }
`);
    server = await startTestServer(repo, { traffic: join(dir, 'traffic.yaml'), trafficState: ':memory:' });
  });
  after(async () => {
    await server.close();
  });

  test('shadow failures never reach the caller, and are counted', async () => {
    for (let i = 0; i < 20; i++) {
      const res = await postJson(`${server.url}/v2/models/mirrored/infer`, fp32Rows([[1, 2, 3, 4]]));
      assert.equal(res.status, 200);
      assert.equal(res.body.model_version, '2');
      assert.deepEqual(res.body.outputs[0].data, [2, 3, 4, 5]);
    }
    await until('shadow outcomes to be counted', async () => (await metric(server.url, 'skein_shadow_requests_total', { model: 'mirrored', outcome: 'error' })) === 20);
  });

  test('the cascade answers from the cheap stage when it is confident and escalates when not', async () => {
    const sure = await postJson(`${server.url}/v2/models/chain/infer`, fp32Rows([[0.95, 0, 0, 0]]));
    assert.equal(sure.status, 200);
    assert.equal(sure.body.parameters.cascade_stage, 0);
    assert.equal(sure.body.parameters.cascade_model, 'cheap');
    assert.ok(Math.abs(sure.body.outputs[0].data[0] - 0.95) < 1e-6);
    const unsure = await postJson(`${server.url}/v2/models/chain/infer`, fp32Rows([[0.6, 0, 0, 0]]));
    assert.equal(unsure.body.parameters.cascade_stage, 1);
    assert.equal(unsure.body.parameters.cascade_model, 'expensive');
    assert.ok(Math.abs(unsure.body.outputs[0].data[0] - 10.6) < 1e-5);
    // A batch escalates when any of its rows is unsure.
    const mixed = await postJson(`${server.url}/v2/models/chain/infer`, fp32Rows([[0.99, 0, 0, 0], [0.5, 0, 0, 0]]));
    assert.equal(mixed.body.parameters.cascade_stage, 1);
    assert.equal(await metric(server.url, 'skein_cascade_requests_total', { cascade: 'chain', stage: '0', outcome: 'answered' }), 1);
    assert.equal(await metric(server.url, 'skein_cascade_requests_total', { cascade: 'chain', stage: '0', outcome: 'escalated' }), 2);
    assert.equal((await getJson(`${server.url}/v2/models/chain/ready`)).status, 200);
  });

  test('a failing model answers the configured default, says so, and its breaker opens', async () => {
    for (let i = 0; i < 6; i++) {
      const res = await postJson(`${server.url}/v2/models/flaky/infer`, fp32Rows([[1, 2, 3, 4], [5, 6, 7, 8]]));
      assert.equal(res.status, 200);
      assert.equal(res.body.parameters.fallback, true);
      assert.deepEqual(res.body.outputs[0].shape, [2, 4]);
      assert.ok(Math.abs(res.body.outputs[0].data[0] - 0.01) < 1e-7);
      assert.equal(res.body.parameters.fallback_reason, i < 3 ? 'INFERENCE_FAILED' : 'CIRCUIT_OPEN');
    }
    assert.equal(await metric(server.url, 'skein_circuit_open', { model: 'flaky', version: '1' }), 1);
    assert.equal(await metric(server.url, 'skein_fallbacks_total', { model: 'flaky' }), 6);
  });
});

describe('traffic state', () => {
  test('experiment counts, rollout state and moved labels survive a restart (SQLite)', async () => {
    const dir = await tempRepo('skein-restart-');
    const repo = join(dir, 'repo');
    await writeModel(repo, 'm', 1, addModel(1), `${ALL}labels:\n  stable: 1\n`);
    await writeModel(repo, 'm', 2, addModel(2));
    await writeModel(repo, 'e', 1, addModel(1), ALL);
    await writeModel(repo, 'e', 2, addModel(2));
    const file = join(dir, 'traffic.yaml');
    await writeFile(file, `
experiments:
  - { name: exp, model: e, arms: [{ name: a, version: 1 }, { name: b, version: 2 }] }
rollouts:
  - { model: m, canary: 2, stepDwellMs: 600000, autoStart: false }
`);
    const options = { traffic: file, trafficState: join(dir, 'state.sqlite') };
    const copy = async () => {
      const r = await tempRepo('skein-restart-copy-');
      for (const [m, v, c] of [['m', 1, 1], ['m', 2, 2], ['e', 1, 1], ['e', 2, 2]] as const) {
        await writeModel(r, m, v, addModel(c), m === 'm' ? `${ALL}labels:\n  stable: 1\n` : ALL);
      }
      return r;
    };
    let server = await startTestServer(await copy(), options);
    const pid: string[] = [];
    let before;
    try {
      for (let i = 0; i < 50; i++) {
        const res = await postJson(`${server.url}/v2/models/e/infer`, { ...fp32Rows([[1, 2, 3, 4]]), parameters: { unit_id: `r-${i}` } });
        pid.push(res.body.parameters.prediction_id);
      }
      await postJson(`${server.url}/v2/feedback`, { prediction_id: pid[0], type: 'click' });
      assert.equal((await postJson(`${server.url}/v2/rollouts/m/start`, {})).body.state.status, 'ramping');
      await postJson(`${server.url}/v2/rollouts/m/pause`, {});
      const put = await fetch(`${server.url}/v2/models/m/labels/gold`, { method: 'PUT', body: JSON.stringify({ version: 2 }), headers: { 'content-type': 'application/json' } });
      assert.equal(put.status, 200);
      before = (await getJson(`${server.url}/v2/experiments/exp/report`)).body;
    } finally {
      await server.close();
    }

    server = await startTestServer(await copy(), options);
    try {
      const after = (await getJson(`${server.url}/v2/experiments/exp/report`)).body;
      assert.deepEqual(after.arms, before.arms);
      assert.equal(after.arms.reduce((s: number, a: any) => s + a.exposures, 0), 50);
      assert.equal((await getJson(`${server.url}/v2/rollouts/m`)).body.state.status, 'paused');
      assert.equal((await getJson(`${server.url}/v2/models/m/labels`)).body.labels.gold, 2);
      // Feedback for a prediction made before the restart still joins.
      const dup = await postJson(`${server.url}/v2/feedback`, { prediction_id: pid[0], type: 'click' });
      assert.deepEqual(dup.body, { counted: 0, duplicates: 1 });
      assert.deepEqual((await postJson(`${server.url}/v2/feedback`, { prediction_id: pid[1], type: 'click' })).body, { counted: 1, duplicates: 0 });
    } finally {
      await server.close();
    }
  });

  test('two replicas sharing Redis share exposures, feedback dedup and rollout state', async () => {
    const prefix = `skein-test-${process.pid}-${Date.now()}:`;
    const dir = await tempRepo('skein-redis-');
    const file = join(dir, 'traffic.yaml');
    await writeFile(file, `
experiments:
  - { name: shared, model: e, arms: [{ name: a, version: 1 }, { name: b, version: 2 }] }
rollouts:
  - { model: m, canary: 2, stepDwellMs: 600000, checkIntervalMs: 20 }
`);
    const replica = async () => {
      const r = await tempRepo('skein-redis-repo-');
      await writeModel(r, 'e', 1, addModel(1), ALL);
      await writeModel(r, 'e', 2, addModel(2));
      await writeModel(r, 'm', 1, addModel(1), `${ALL}labels:\n  stable: 1\n`);
      await writeModel(r, 'm', 2, addModel(2));
      return startTestServer(r, { traffic: file, trafficState: `redis://127.0.0.1:6379/0?prefix=${prefix}` });
    };
    const [one, two] = [await replica(), await replica()];
    const { Redis } = await import('ioredis');
    const redis = new Redis('redis://127.0.0.1:6379/0');
    try {
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) {
        const target = i % 2 === 0 ? one : two;
        const res = await postJson(`${target.url}/v2/models/e/infer`, { ...fp32Rows([[1, 2, 3, 4]]), parameters: { unit_id: `shared-${i}` } });
        ids.push(res.body.parameters.prediction_id);
      }
      // Feedback for replica one's prediction, sent to replica two, twice.
      await two.traffic!.flush();
      await one.traffic!.flush();
      assert.deepEqual((await postJson(`${two.url}/v2/feedback`, { prediction_id: ids[0], type: 'purchase', value: 5 })).body, { counted: 1, duplicates: 0 });
      assert.deepEqual((await postJson(`${one.url}/v2/feedback`, { prediction_id: ids[0], type: 'purchase', value: 5 })).body, { counted: 0, duplicates: 1 });
      const r1 = (await getJson(`${one.url}/v2/experiments/shared/report`)).body;
      const r2 = (await getJson(`${two.url}/v2/experiments/shared/report`)).body;
      assert.deepEqual(r1.arms, r2.arms);
      assert.equal(r1.arms.reduce((s: number, a: any) => s + a.exposures, 0), 40);
      // A rollback commanded on one replica is followed by the other.
      await postJson(`${one.url}/v2/rollouts/m/rollback`, { reason: 'shared test' });
      await until('replica two to follow the rollback', async () => (await getJson(`${two.url}/v2/rollouts/m`)).body.state.status === 'rolled_back');
    } finally {
      await one.close();
      await two.close();
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
  });
});

describe('traffic over gRPC and with authentication', () => {
  let server: TestServer;
  const alice = generateApiKey();
  const bob = generateApiKey();
  const reporter = generateApiKey();

  before(async () => {
    const dir = await tempRepo('skein-traffic-auth-');
    const repo = join(dir, 'repo');
    for (const v of [1, 2]) await writeModel(repo, 'ab', v, addModel(v), ALL);
    await writeModel(repo, 'backup', 1, failingModel(), NO_WARMUP);
    await writeModel(repo, 'backup', 2, addModel(5));
    await writeFile(join(dir, 'traffic.yaml'), `
experiments:
  - { name: keyed, model: ab, arms: [{ name: one, version: 1 }, { name: two, version: 2 }] }
fallbacks:
  - model: backup
    chain: [{ version: 2 }]
`);
    server = await startTestServer(repo, {
      traffic: join(dir, 'traffic.yaml'),
      trafficState: ':memory:',
      auth: {
        enabled: true,
        apiKeys: [
          { id: 'alice', sha256: alice.sha256, scopes: ['infer:*'] },
          { id: 'bob', sha256: bob.sha256, scopes: ['infer:*'] },
          { id: 'reporter', sha256: reporter.sha256, scopes: ['feedback'] },
        ],
      },
    });
  });
  after(async () => {
    await server.close();
  });

  test('without a unit_id the authenticated principal is the unit: each caller stays on one arm', async () => {
    for (const key of [alice.key, bob.key]) {
      const arms = new Set<string>();
      for (let i = 0; i < 10; i++) {
        const res = await postJson(`${server.url}/v2/models/ab/infer`, fp32Rows([[1, 2, 3, 4]]), { 'x-api-key': key });
        assert.equal(res.status, 200);
        arms.add(res.body.parameters.arm);
      }
      assert.equal(arms.size, 1);
    }
  });

  test('gRPC replies carry the experiment, arm and prediction id; feedback needs the feedback scope', async () => {
    const client = connectGrpc(server.grpcPort);
    try {
      const reply = await client.call('ModelInfer', {
        model_name: 'ab',
        parameters: { unit_id: { string_param: 'grpc-unit' } },
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }],
      }, { metadata: { 'x-api-key': alice.key } });
      assert.equal(reply.parameters.experiment.string_param, 'keyed');
      const arm = reply.parameters.arm.string_param;
      assert.equal(reply.model_version, arm === 'one' ? '1' : '2');
      const id = reply.parameters.prediction_id.string_param;
      const denied = await postJson(`${server.url}/v2/feedback`, { prediction_id: id, type: 'click' }, { 'x-api-key': alice.key });
      assert.equal(denied.status, 403);
      const ok = await postJson(`${server.url}/v2/feedback`, { prediction_id: id, type: 'click' }, { 'x-api-key': reporter.key });
      assert.deepEqual(ok.body, { counted: 1, duplicates: 0 });
    } finally {
      client.close();
    }
  });

  test('a failing version falls back to another version of the model, and the reply says so', async () => {
    const res = await postJson(`${server.url}/v2/models/backup/versions/1/infer`, fp32Rows([[1, 2, 3, 4]]), { 'x-api-key': bob.key });
    assert.equal(res.status, 200);
    assert.equal(res.body.model_version, '2');
    assert.deepEqual(res.body.outputs[0].data, [6, 7, 8, 9]);
    assert.equal(res.body.parameters.fallback, true);
    assert.equal(res.body.parameters.fallback_reason, 'INFERENCE_FAILED');
  });
});
