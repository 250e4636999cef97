import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPredictionsList, runPredictionsPublish, runPredictionsRollback, type CommandIo } from '../../src/cli/predictions-command.js';
import { createPredictionStore, type LookupStore } from '../../src/offline/store/index.js';

/** `skein predictions list|publish|rollback`, run as functions against a real SQLite store. */
function capture(): CommandIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l) };
}

async function addRun(store: LookupStore, runId: string, gate: 'passed' | 'failed', p: number): Promise<void> {
  await store.beginRun({ set: 'purchase', runId, model: 'purchase', version: '3', defaultValue: { p: [0.01] } });
  await store.writeChunk('purchase', runId, 0, [{ key: 'u1', value: { p: [p] } }], 1);
  await store.completeRun('purchase', runId);
  await store.setGateResult('purchase', runId, gate === 'passed', {});
}

describe('skein predictions', () => {
  let dir: string;
  let url: string;
  let store: LookupStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skein-cli-'));
    url = `sqlite://${join(dir, 'p.db')}`;
    store = await createPredictionStore(url);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('publish without --run exits 1 when no run passed its gate', async () => {
    await addRun(store, 'r0', 'failed', 0.1);
    const io = capture();
    assert.equal(await runPredictionsPublish({ store: url, set: 'purchase' }, io), 1);
    assert.match(io.errors[0] ?? '', /no run of this set passed its gate/);
  });

  test('publish without --run takes the newest run that passed, skipping newer failed ones', async () => {
    await addRun(store, 'r1', 'passed', 0.2);
    await addRun(store, 'r2', 'passed', 0.3);
    await addRun(store, 'r3', 'failed', 0.4);
    const io = capture();
    assert.equal(await runPredictionsPublish({ store: url, set: 'purchase' }, io), 0);
    assert.match(io.lines[0] ?? '', /published set purchase run r2/);
    assert.deepEqual(await store.lookup('purchase', ['u1']), [{ p: [0.3] }]);
  });

  test('publish of a failed run exits 1 unless --force, which is recorded', async () => {
    assert.equal(await runPredictionsPublish({ store: url, set: 'purchase', run: 'r3' }, capture()), 1);
    const io = capture();
    assert.equal(await runPredictionsPublish({ store: url, set: 'purchase', run: 'r3', force: true }, io), 0);
    assert.match(io.lines[0] ?? '', /forced/);
  });

  test('list prints one row per run, newest first, with status and published', async () => {
    const io = capture();
    assert.equal(await runPredictionsList({ store: url, set: 'purchase' }, io), 0);
    assert.match(io.lines[0] ?? '', /^set\s+run\s+model\s+version\s+created\s+rows\s+rejected\s+status\s+published$/);
    assert.deepEqual(io.lines.slice(1).map((l) => l.split(/\s+/)[1]), ['r3', 'r2', 'r1', 'r0']);
    assert.match(io.lines[1] ?? '', /purchase\s+r3\s+purchase\s+3\s+\S+\s+1\s+1\s+failed \(forced\)\s+yes$/);
    const json = capture();
    assert.equal(await runPredictionsList({ store: url, json: true }, json), 0);
    assert.equal((JSON.parse(json.lines[0] ?? '[]') as unknown[]).length, 4);
  });

  test('rollback returns to the run published before, and exits 1 when there is none', async () => {
    const io = capture();
    assert.equal(await runPredictionsRollback({ store: url, set: 'purchase' }, io), 0);
    assert.match(io.lines[0] ?? '', /now serves run r2/);
    assert.deepEqual(await store.lookup('purchase', ['u1']), [{ p: [0.3] }]);
    assert.equal(await runPredictionsRollback({ store: url, set: 'purchase' }, capture()), 1);
  });

  test('an unknown run exits 1; a bad set name or store URL exits 2', async () => {
    assert.equal(await runPredictionsPublish({ store: url, set: 'purchase', run: 'nope' }, capture()), 1);
    assert.equal(await runPredictionsPublish({ store: url, set: '../x' }, capture()), 2);
    const io = capture();
    assert.equal(await runPredictionsList({ store: 'mysql://h/db' }, io), 2);
    assert.match(io.errors[0] ?? '', /sqlite:\/\/, postgres:\/\/ or redis:\/\//);
  });

  test('an unreachable store exits 1', async () => {
    const io = capture();
    assert.equal(await runPredictionsList({ store: 'postgres://postgres@127.0.0.1:1/test' }, io), 1);
    assert.match(io.errors[0] ?? '', /cannot be reached/);
  });
});
