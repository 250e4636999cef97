import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFeatureStore, saveFeatureSet } from '../../src/features/index.js';
import { HOUR_MS, PRODUCT_LOG, SHOP_SPEC, T0, USER_LOG, event, writeCsv, writeJsonl } from './features-fixtures.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const FIXTURES = new URL('./features-fixtures.ts', import.meta.url).pathname;
// main.ts is wired by the lead; this runs the same command through its own commander program.
const ENTRY = `import { Command } from 'commander';
import { registerFeaturesCommand } from './src/cli/features-command.ts';
const program = new Command('skein');
registerFeaturesCommand(program);
await program.parseAsync(process.argv.slice(1), { from: 'user' });`;

interface Run { code: number | null; stdout: string; stderr: string }

function skeinFeatures(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', ENTRY, 'features', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skein-fcli-'));
  await writeJsonl(join(dir, 'users.jsonl'), USER_LOG);
  await writeCsv(join(dir, 'products.csv'), PRODUCT_LOG);
  await writeJsonl(join(dir, 'events.jsonl'), [event(T0 + HOUR_MS), event(T0 + 5 * HOUR_MS), event(T0 + 11 * HOUR_MS, { label: 0 })]);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('skein features ingest', () => {
  test('loads an entity log into a SQLite store; the late older row is stale', async () => {
    const db = join(dir, 'store.db');
    const r = await skeinFeatures(['ingest', '--store', `sqlite://${db}`, '--entity', 'user', '--file', join(dir, 'users.jsonl'), '--id-field', 'user_id']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { rows: 4, written: 3, stale: 1, expired: 0, rejected: 0, rejects: [] });
    const store = createFeatureStore({ url: db });
    const got = await store.get('user', ['u1']);
    assert.equal(got.get('u1')!.values.purchases, 5);
    await store.close();
  });

  test('a store that is down fails with exit code 1', async () => {
    const r = await skeinFeatures(['ingest', '--store', 'redis://127.0.0.1:1', '--entity', 'user', '--file', join(dir, 'users.jsonl'), '--id-field', 'user_id']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /skein features ingest: /);
  });
});

describe('skein features export', () => {
  test('exports from a features.json with --entity logs and prints a summary', async () => {
    const specDir = join(dir, 'model', '1');
    await import('node:fs/promises').then((fs) => fs.mkdir(specDir, { recursive: true }));
    const hash = await saveFeatureSet(specDir, SHOP_SPEC);
    const out = join(dir, 'train', 'rows.jsonl');
    const r = await skeinFeatures(['export', '--features', join(specDir, 'features.json'), '--events', join(dir, 'events.jsonl'),
      '--entity', `user=${join(dir, 'users.jsonl')}`, '--entity', `product=${join(dir, 'products.csv')}:product_id:updated_at`, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.written, 3);
    assert.equal(summary.schemaHash, hash);
    const rows = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((x) => x.features.user_purchases), [1, 3, 5]);
    assert.deepEqual(rows.map((x) => x.label), [1, 1, 0]);
    assert.equal(JSON.parse(await readFile(join(dir, 'train', 'training-stats.json'), 'utf8')).rows, 3);
  });

  test('takes the feature set from a TypeScript module export, and writes CSV', async () => {
    const out = join(dir, 'rows.csv');
    const r = await skeinFeatures(['export', '--features', `${FIXTURES}#SHOP_SPEC`, '--events', join(dir, 'events.jsonl'),
      '--entity', `user=${join(dir, 'users.jsonl')}`, '--entity', `product=${join(dir, 'products.csv')}`, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    assert.equal(lines.length, 4);
    assert.ok(lines[0]!.startsWith('event_time,label,query_text,'));
  });

  test('bad usage exits 2 with a message that says what to fix', async () => {
    const missing = await skeinFeatures(['export', '--events', join(dir, 'events.jsonl'), '--out', join(dir, 'x.jsonl')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--features/);
    const badEntity = await skeinFeatures(['export', '--features', `${FIXTURES}#SHOP_SPEC`, '--events', join(dir, 'events.jsonl'), '--entity', 'user', '--out', join(dir, 'x.jsonl')]);
    assert.equal(badEntity.code, 2);
    assert.match(badEntity.stderr, /--entity must be name=path/);
    const noLog = await skeinFeatures(['export', '--features', `${FIXTURES}#SHOP_SPEC`, '--events', join(dir, 'events.jsonl'), '--entity', `user=${join(dir, 'users.jsonl')}`, '--out', join(dir, 'x.jsonl')]);
    assert.equal(noLog.code, 2);
    assert.match(noLog.stderr, /entity "product"; give its update log/);
    await writeFile(join(dir, 'bad-spec.json'), JSON.stringify({ name: 'x', features: [{ name: 'a', source: { kind: 'request', field: 'a', type: 'string' }, transforms: [{ op: 'log1p' }] }], tensors: [{ name: 't', datatype: 'FP32', features: ['a'] }] }));
    const badSpec = await skeinFeatures(['export', '--features', join(dir, 'bad-spec.json'), '--events', join(dir, 'events.jsonl'), '--out', join(dir, 'x.jsonl')]);
    assert.equal(badSpec.code, 2);
    assert.match(badSpec.stderr, /feature "a": transforms\[0\] \(log1p\)/);
    const badFlag = await skeinFeatures(['ingest', '--store', ':memory:', '--entity', 'user', '--file', join(dir, 'users.jsonl'), '--id-field', 'user_id', '--ttl-ms', '-5']);
    assert.equal(badFlag.code, 2);
  });
});
