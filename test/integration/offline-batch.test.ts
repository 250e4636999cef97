/**
 * `skein batch` end to end on the yarnit example: CSV, JSONL and Parquet inputs into SQLite,
 * the gate, equality with what `skein serve` answers, rejects, bad inputs, and shards.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { buildRepository } from '../../examples/yarnit/repository.js';

const pgClient = pg.Client;
import { createPredictionStore } from '../../src/offline/store/index.js';
import type { PredictionStore } from '../../src/offline/types.js';
import { postJson, startTestServer } from '../helpers/server.js';
import { FEATURE_COLUMNS, scanAll, skein, writeCsv, writeJsonl, writeParquet, yarnitRows, YARNIT_MAPPING, type YarnitRow } from './offline-batch-fixtures.js';

describe('skein batch on the yarnit example', () => {
  let dir: string;
  let repo: string;
  let rows: YarnitRow[];
  let base: string[];
  let store: PredictionStore;
  let dbUrl: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skein-offline-batch-'));
    repo = join(dir, 'repo');
    await buildRepository(repo, 42);
    rows = yarnitRows(5);
    await writeCsv(join(dir, 'pairs.csv'), rows);
    await writeFile(join(dir, 'mapping.yaml'), YARNIT_MAPPING);
    dbUrl = `sqlite://${join(dir, 'pred.db')}`;
    base = ['batch', '--model-repository', repo, '--model', 'purchase:2', '--key-column', 'pair', '--output', dbUrl, '--workers', '2', '--chunk-rows', '500'];
    store = await createPredictionStore(dbUrl);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('writes one prediction per row, passes the gate, and equals what skein serve answers', async () => {
    const r = await skein([...base, '--input', join(dir, 'pairs.csv'), '--mapping', join(dir, 'mapping.yaml'), '--run', 'csv-run',
      '--range', 'probability:0:1', '--default', 'probability=0.01']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'csv-run\n');
    assert.match(r.stderr, /validation gate: PASSED/);
    const run = await store.getRun('purchase', 'csv-run');
    assert.equal(run?.status, 'passed');
    assert.equal(run?.rowCount, rows.length);
    assert.equal(run?.rejectedCount, 0);
    assert.equal(run?.version, '2');
    assert.deepEqual(run?.defaultValue, { probability: [0.01] });
    const values = await scanAll(store, 'purchase', 'csv-run');
    assert.deepEqual([...values.keys()].sort(), rows.map((x) => x.key).sort());

    const serveRepo = join(dir, 'serve-repo');
    await cp(repo, serveRepo, { recursive: true });
    const server = await startTestServer(serveRepo);
    try {
      const sample = [rows[0]!, rows[777]!, rows[1999]!];
      const reply = await postJson(`${server.url}/v2/models/purchase/versions/2/infer`, {
        inputs: [{ name: 'features', datatype: 'FP32', shape: [sample.length, 16], data: sample.flatMap((x) => x.features) }],
      });
      assert.equal(reply.status, 200);
      const served = reply.body.outputs.find((o: { name: string }) => o.name === 'probability').data as number[];
      sample.forEach((x, i) => assert.deepEqual(values.get(x.key), { probability: [served[i]] }));
    } finally {
      await server.close();
    }
  });

  test('the same job into PostgreSQL and Redis (one URL changed) writes the same values as into SQLite', async () => {
    const csv = ['--input', join(dir, 'pairs.csv'), '--mapping', join(dir, 'mapping.yaml'), '--range', 'probability:0:1'];
    const reference = await scanAll(store, 'purchase', 'csv-run');
    const tag = `b${process.pid}`;
    for (const url of [`postgres://postgres@127.0.0.1:5432/test?schema=skein_${tag}`, `redis://127.0.0.1:6379/?prefix=skein-${tag}`]) {
      const args = base.map((a) => (a === dbUrl ? url : a));
      const r = await skein([...args, ...csv, '--run', 'shared-run']);
      assert.equal(r.code, 0, r.stderr);
      const other = await createPredictionStore(url);
      try {
        assert.equal((await other.getRun('purchase', 'shared-run'))?.status, 'passed');
        assert.deepEqual(await scanAll(other, 'purchase', 'shared-run'), reference, url.split(':')[0]);
      } finally {
        await other.close();
      }
    }
    // Leave the shared servers as they were.
    const pg = new pgClient({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
    await pg.connect();
    await pg.query(`DROP SCHEMA IF EXISTS skein_${tag} CASCADE`);
    await pg.end();
    const redis = new Redis('redis://127.0.0.1:6379');
    const keys = await redis.keys(`skein-${tag}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  test('reads JSONL (a JSON-array column named after the input) and Parquet to the same values', async () => {
    await writeJsonl(join(dir, 'pairs.jsonl'), rows);
    await writeParquet(join(dir, 'pairs.parquet'), rows);
    const j = await skein([...base, '--input', join(dir, 'pairs.jsonl'), '--run', 'jsonl-run', '--no-gate']);
    assert.equal(j.code, 0, j.stderr);
    const p = await skein([...base, '--input', join(dir, 'pairs.parquet'), '--mapping', join(dir, 'mapping.yaml'), '--run', 'parquet-run', '--no-gate']);
    assert.equal(p.code, 0, p.stderr);
    const csv = await scanAll(store, 'purchase', 'csv-run');
    assert.deepEqual(await scanAll(store, 'purchase', 'jsonl-run'), csv);
    assert.deepEqual(await scanAll(store, 'purchase', 'parquet-run'), csv);
    assert.equal((await store.getRun('purchase', 'parquet-run'))?.status, 'complete');
  });

  test('two shards (0/2 and 1/2) write the same keys and values as one unsharded run', async () => {
    const args = [...base, '--input', join(dir, 'pairs.csv'), '--mapping', join(dir, 'mapping.yaml'), '--run', 'sharded-run'];
    const [a, b] = await Promise.all([skein([...args, '--shard', '0/2']), skein([...args, '--shard', '1/2'])]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    // Exactly one shard saw every chunk committed: it completed the run and ran the gate.
    assert.equal([a, b].filter((x) => /validation gate: PASSED/.test(x.stderr)).length >= 1, true);
    const run = await store.getRun('purchase', 'sharded-run');
    assert.equal(run?.status, 'passed');
    assert.equal(run?.rowCount, rows.length);
    assert.deepEqual(await scanAll(store, 'purchase', 'sharded-run'), await scanAll(store, 'purchase', 'csv-run'));
  });

  test('rows that do not fit go to the rejects file with their line numbers while the job goes on', async () => {
    const header = ['pair', ...FEATURE_COLUMNS];
    const good = rows.slice(0, 10).map((x) => [x.key, ...x.features].join(','));
    const bad = ['bad|text,abc' + ',0'.repeat(15), 'bad|empty,' + ',0'.repeat(15), ',' + '0,'.repeat(15) + '0'];
    await writeFile(join(dir, 'mixed.csv'), [header.join(','), ...good.slice(0, 3), bad[0], ...good.slice(3, 7), bad[1], bad[2], ...good.slice(7)].join('\n') + '\n');
    const rejects = join(dir, 'rejects.jsonl');
    const r = await skein([...base, '--input', join(dir, 'mixed.csv'), '--mapping', join(dir, 'mapping.yaml'), '--run', 'mixed-run', '--rejects', rejects]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /PASS {2}completeness +rows in 13 = written 10 \+ rejected 3/);
    const lines = (await readFile(rejects, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.line, l.key]), [[5, 'bad|text'], [10, 'bad|empty'], [11, '']]);
    assert.match(lines[0].reason, /column "log_price" is not a finite number/);
    assert.match(lines[1].reason, /column "log_price" is empty/);
    assert.match(lines[2].reason, /key column "pair" is empty/);
    const run = await store.getRun('purchase', 'mixed-run');
    assert.equal(run?.rejectedCount, 3);
    assert.equal(run?.rowCount, 10);
  });

  test('a missing key column fails before any work, naming the column', async () => {
    const url = `sqlite://${join(dir, 'untouched.db')}`;
    const r = await skein([...base.slice(0, -6), '--output', url, '--input', join(dir, 'pairs.csv'), '--key-column', 'user_product']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no key column "user_product"/);
    await assert.rejects(stat(join(dir, 'untouched.db')), { code: 'ENOENT' });
  });

  test('a corrupt input file fails with its position: CSV line, JSONL line, Parquet row group', async () => {
    await writeFile(join(dir, 'broken.csv'), `pair,features\na,"[1]"\nb,"[2]"\nc\n`);
    await writeFile(join(dir, 'broken.jsonl'), '{"pair":"a","features":[1]}\n{"pair":"b",\n');
    const pq = await readFile(join(dir, 'pairs.parquet'));
    await writeFile(join(dir, 'broken.parquet'), Buffer.concat([pq.subarray(0, 4), Buffer.alloc(64), pq.subarray(68)]));
    const csv = await skein([...base, '--input', join(dir, 'broken.csv'), '--no-gate', '--run', 'broken-csv']);
    assert.equal(csv.code, 1);
    assert.match(csv.stderr, /--input \(csv\) is corrupt at line 4/);
    const jsonl = await skein([...base, '--input', join(dir, 'broken.jsonl'), '--no-gate', '--run', 'broken-jsonl']);
    assert.equal(jsonl.code, 1);
    assert.match(jsonl.stderr, /--input \(jsonl\) is corrupt at line 2: not valid JSON/);
    const parquet = await skein([...base, '--input', join(dir, 'broken.parquet'), '--mapping', join(dir, 'mapping.yaml'), '--no-gate', '--run', 'broken-parquet']);
    assert.equal(parquet.code, 1);
    assert.match(parquet.stderr, /--input \(parquet\) is corrupt at rows 1-2000/);
  });
});
