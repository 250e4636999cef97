/**
 * The batch job under failure: SIGKILL mid-run and resume, a prediction store that is down, and
 * the validation gate's failures (NaN, missing rows, drift, golden), each failing only its check.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGraphBuilder } from '../../src/builder/index.js';
import { validateAction } from '../../src/offline/gate/index.js';
import { createPredictionStore } from '../../src/offline/store/index.js';
import type { PredictionStore } from '../../src/offline/types.js';
import { writeModel } from '../helpers/models.js';
import { until } from '../helpers/server.js';
import { scanAll, skein } from './offline-batch-fixtures.js';

const ROWS = 20_000;

/** x FP32 [batch,4] → probability = sigmoid(x · w), FP32 [batch,1]. */
function scoreModel(): Uint8Array {
  return createGraphBuilder({ name: 'score' })
    .input('x', 'FP32', ['batch', 4])
    .initializer('w', 'FP32', [4, 1], [0.5, -0.25, 1, 0.75])
    .node('MatMul', ['x', 'w'], ['logit'])
    .node('Sigmoid', ['logit'], ['probability'])
    .output('probability', 'FP32', ['batch', 1])
    .toBytes();
}

/** x FP32 [batch,1] → y = ln(x): NaN for a negative x. */
function logModel(): Uint8Array {
  return createGraphBuilder({ name: 'log' })
    .input('x', 'FP32', ['batch', 1])
    .node('Log', ['x'], ['y'])
    .output('y', 'FP32', ['batch', 1])
    .toBytes();
}

function captured(): { io: { out: (t: string) => void; err: (t: string) => void }; text: () => string } {
  let text = '';
  return { io: { out: (t) => (text += t), err: (t) => (text += t) }, text: () => text };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe('skein batch under failure, and the gate', () => {
  let dir: string;
  let repo: string;
  let url: string;
  let store: PredictionStore;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skein-offline-resume-'));
    repo = join(dir, 'repo');
    await writeModel(repo, 'score', 1, scoreModel());
    await writeModel(repo, 'logscore', 1, logModel());
    const lines = ['id,x'];
    for (let i = 0; i < ROWS; i++) lines.push(`k${i},"[${[1, 2, 3, 4].map((j) => Math.sin(i * j).toFixed(4)).join(',')}]"`);
    await writeFile(join(dir, 'rows.csv'), `${lines.join('\n')}\n`);
    url = `sqlite://${join(dir, 'pred.db')}`;
    store = await createPredictionStore(url);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a job killed with SIGKILL resumes with the same --run: every row once, none lost or duplicated', async () => {
    const args = ['batch', '--model-repository', repo, '--model', 'score', '--input', join(dir, 'rows.csv'), '--key-column', 'id',
      '--output', url, '--run', 'killed', '--workers', '1', '--batch-size', '4', '--chunk-rows', '200', '--max-pending-chunks', '1'];
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { stdio: 'ignore' });
    const exited = new Promise((r) => child.on('close', r));
    await until('three committed chunks', async () => (await store.committedChunks('score', 'killed')).size >= 3, 2000);
    child.kill('SIGKILL');
    await exited;
    const before = await store.getRun('score', 'killed');
    assert.equal(before?.status, 'writing', 'the job finished before it was killed; make it slower');
    assert.ok(before!.rowCount < ROWS);

    const r = await skein([...args, '--batch-size', '256', '--max-pending-chunks', '4']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'killed\n');
    const summary = JSON.parse(r.stderr.split('\n').find((l) => l.includes('batch_summary'))!);
    assert.ok(summary.chunksSkipped >= 3);
    assert.equal(summary.chunksSkipped + summary.chunksWritten, ROWS / 200);
    const run = await store.getRun('score', 'killed');
    assert.equal(run?.status, 'passed');
    assert.equal(run?.rowCount, ROWS);
    const values = await scanAll(store, 'score', 'killed');
    assert.equal(values.size, ROWS);
    assert.ok(values.has('k0') && values.has(`k${ROWS - 1}`));
  });

  test('a store that stays down is retried with backoff, then the job fails clearly and prints no run id', async () => {
    const port = await freePort();
    const r = await skein(['batch', '--model-repository', repo, '--model', 'score', '--input', join(dir, 'rows.csv'), '--key-column', 'id',
      '--output', `redis://127.0.0.1:${port}`, '--store-retry-attempts', '3', '--store-retry-initial-delay-ms', '10', '--store-retry-max-delay-ms', '20']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /prediction store failed 3 times in a row \(getRun\); nothing was published/);
    assert.equal(r.stderr.split('\n').filter((l) => l.includes('"store_retry"')).length, 2);
  });

  test('a model that answers NaN fails only the finite check, and the run is marked failed', async () => {
    const lines = ['id,x', ...Array.from({ length: 100 }, (_, i) => `n${i},${i % 10 === 0 ? -1 : i + 1}`)];
    await writeFile(join(dir, 'log.csv'), `${lines.join('\n')}\n`);
    const r = await skein(['batch', '--model-repository', repo, '--model', 'logscore', '--input', join(dir, 'log.csv'), '--key-column', 'id',
      '--output', url, '--run', 'nan-run', '--range', 'y:-10:10', '--workers', '1']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /FAIL {2}finite +10 of 100 values of y are NaN or infinite/);
    assert.match(r.stderr, /PASS {2}completeness/);
    assert.match(r.stderr, /PASS {2}range/);
    assert.equal((await store.getRun('logscore', 'nan-run'))?.status, 'failed');
  });

  test('missing rows fail only completeness', async () => {
    const c = captured();
    const code = await validateAction({ store: url, set: 'score', run: 'killed', rowsIn: ROWS + 1, maxPsi: 0.2, maxKs: 0.1 }, c.io);
    assert.equal(code, 3);
    assert.match(c.text(), /FAIL {2}completeness +rows in 20001 ≠ written 20000 \+ rejected 0 \(1 missing\)/);
    assert.equal(c.text().match(/^ +FAIL/gm)?.length, 1);
    assert.equal((await store.getRun('score', 'killed'))?.status, 'failed');
    assert.equal(await validateAction({ store: url, set: 'score', run: 'killed', rowsIn: ROWS, maxPsi: 0.2, maxKs: 0.1 }, captured().io), 0);
    assert.equal((await store.getRun('score', 'killed'))?.status, 'passed');
  });

  test('golden keys pass within tolerance and a wrong one fails only the golden check', async () => {
    const values = await scanAll(store, 'score', 'killed');
    const golden = ['k1', 'k2', 'k3'].map((key) => ({ key, output: 'probability', value: values.get(key)!.probability![0], tolerance: 1e-6 }));
    await writeFile(join(dir, 'golden.jsonl'), golden.map((g) => JSON.stringify(g)).join('\n'));
    assert.equal(await validateAction({ store: url, set: 'score', run: 'killed', maxPsi: 0.2, maxKs: 0.1, golden: join(dir, 'golden.jsonl') }, captured().io), 0);
    golden[1]!.value = (golden[1]!.value as number) + 0.01;
    await writeFile(join(dir, 'golden-bad.jsonl'), golden.map((g) => JSON.stringify(g)).join('\n'));
    const c = captured();
    assert.equal(await validateAction({ store: url, set: 'score', run: 'killed', maxPsi: 0.2, maxKs: 0.1, golden: join(dir, 'golden-bad.jsonl') }, c.io), 3);
    assert.match(c.text(), /FAIL {2}golden +1 of 3 golden values differ\n +key "k2" probability: element 0 is/);
    assert.equal(c.text().match(/^ +FAIL/gm)?.length, 1);
  });

  test('drift against a baseline file fails only the drift check; the same distribution passes', async () => {
    const values = [...(await scanAll(store, 'score', 'killed')).values()];
    await writeFile(join(dir, 'same.jsonl'), values.map((v) => JSON.stringify(v)).join('\n'));
    await writeFile(join(dir, 'shifted.jsonl'), values.map((v) => JSON.stringify({ probability: [Math.min(1, v.probability![0] as number + 0.2)] })).join('\n'));
    const same = captured();
    assert.equal(await validateAction({ store: url, set: 'score', run: 'killed', maxPsi: 0.2, maxKs: 0.1, baseline: join(dir, 'same.jsonl') }, same.io), 0, same.text());
    assert.match(same.text(), /PASS {2}drift +vs the --baseline file: probability PSI 0\.0000 KS 0\.0000/);
    const shifted = captured();
    assert.equal(await validateAction({ store: url, set: 'score', run: 'killed', maxPsi: 0.2, maxKs: 0.1, baseline: join(dir, 'shifted.jsonl') }, shifted.io), 3);
    assert.match(shifted.text(), /FAIL {2}drift +vs the --baseline file: probability PSI [0-9.]+ KS [0-9.]+ \(bounds PSI 0\.2, KS 0\.1\)/);
    assert.equal(shifted.text().match(/^ +FAIL/gm)?.length, 1);
  });

  test('drift is measured against the set\'s published run when no file is given', async () => {
    assert.equal(await validateAction({ store: url, set: 'score', run: 'killed', rowsIn: ROWS, maxPsi: 0.2, maxKs: 0.1 }, captured().io), 0);
    await store.publish('score', 'killed');
    const r = await skein(['batch', '--model-repository', repo, '--model', 'score', '--input', join(dir, 'rows.csv'), '--key-column', 'id',
      '--output', url, '--run', 'second', '--workers', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /PASS {2}drift +vs published run killed: probability PSI 0\.0000 KS 0\.0000/);
  });
});
