import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServingError } from '../../errors/index.js';
import { ManualClock } from '../../util/index.js';
import { allocateBatch, encodeRow, toTensors } from './encode.js';
import { allCommitted } from './job.js';
import { parseMapping, planInputs } from './mapping.js';
import { parseModelRef } from './model.js';
import { splitOutputs } from './pipeline.js';
import { figures, logProgress } from './progress.js';
import { backoffDelayMs, withRetry } from './retry.js';
import { chunkId, inShard, keyHash, MAX_SHARDS, parseShard } from './shard.js';
import { newRunId, parseDefaultValue } from './values.js';

const FEATURES = { inputs: [{ name: 'features', datatype: 'FP32' as const, shape: [-1, 3] }], outputs: [] };

describe('shards', () => {
  test('parseShard accepts i/N up to MAX_SHARDS and rejects one past it, i = N, and junk', () => {
    assert.deepEqual(parseShard('1/2'), { index: 1, count: 2 });
    assert.deepEqual(parseShard(`${MAX_SHARDS - 1}/${MAX_SHARDS}`), { index: MAX_SHARDS - 1, count: MAX_SHARDS });
    for (const bad of [`0/${MAX_SHARDS + 1}`, '2/2', '0/0', '-1/2', '1', 'a/b']) {
      assert.throws(() => parseShard(bad), (e: ServingError) => e.code === 'INVALID_CONFIG', bad);
    }
  });

  test('the key hash is FNV-1a over UTF-8, so every process and language agrees', () => {
    assert.equal(keyHash(''), 0x811c9dc5);
    assert.equal(keyHash('a'), 0xe40c292c);
  });

  test('N shards split the keys into disjoint parts that cover them all, and chunk ids never collide', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `u${i}|p${i % 7}`);
    const owners = keys.map((k) => [0, 1, 2].filter((i) => inShard(k, { index: i, count: 3 })));
    assert.ok(owners.every((o) => o.length === 1));
    assert.ok([0, 1, 2].every((i) => owners.filter((o) => o[0] === i).length > 250));
    const ids = [0, 1, 2].flatMap((c) => [0, 1, 2].map((i) => chunkId(c, { index: i, count: 3 })));
    assert.equal(new Set(ids).size, 9);
    assert.equal(allCommitted(new Set(ids), 3, 3), true);
    assert.equal(allCommitted(new Set(ids.slice(1)), 3, 3), false);
  });
});

describe('store retries', () => {
  test('backoff is full jitter under a doubling ceiling capped at maxDelayMs', () => {
    const o = { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 300 };
    assert.equal(backoffDelayMs(1, o, () => 0.999), 99);
    assert.equal(backoffDelayMs(2, o, () => 0.999), 199);
    assert.equal(backoffDelayMs(3, o, () => 0.999), 299);
    assert.equal(backoffDelayMs(3, o, () => 0), 0);
  });

  test('retries a failing call up to maxAttempts, then fails saying nothing was published', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const waits: number[] = [];
    const p = withRetry('writeChunk', async () => {
      calls++;
      throw new Error('ECONNREFUSED');
    }, { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 100 }, { clock, random: () => 0.5, onRetry: (_w, _a, d) => waits.push(d) });
    const settled = p.catch((e: unknown) => e);
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setImmediate(r));
      clock.advance(100);
    }
    const err = (await settled) as ServingError;
    assert.equal(calls, 3);
    assert.deepEqual(waits, [5, 10]);
    assert.equal(err.code, 'STORE_UNAVAILABLE');
    assert.match(err.message, /failed 3 times in a row \(writeChunk\); nothing was published/);
  });

  test('a coded store error (a closed run) is not retried', async () => {
    let calls = 0;
    await assert.rejects(withRetry('writeChunk', async () => {
      calls++;
      throw new ServingError('INVALID_REQUEST', 'closed');
    }, { maxAttempts: 5, initialDelayMs: 1, maxDelayMs: 1 }, { clock: new ManualClock() }), { code: 'INVALID_REQUEST' });
    assert.equal(calls, 1);
  });
});

describe('columns to tensors', () => {
  test('a mapping file lists one scalar column per element; a bad one is INVALID_CONFIG', () => {
    const plans = planInputs(FEATURES, ['id', 'a', 'b', 'c'], parseMapping('inputs: {features: [a, b, c]}'));
    assert.deepEqual(plans[0]!.columns, [1, 2, 3]);
    assert.throws(() => planInputs(FEATURES, ['a', 'b'], parseMapping('inputs: {features: [a, b]}')), /lists 2 columns for input "features", which takes 3/);
    assert.throws(() => planInputs(FEATURES, ['a'], parseMapping('inputs: {nope: a}')), /not an input of the model/);
    assert.throws(() => planInputs(FEATURES, ['id']), /no column "features"/);
    assert.throws(() => parseMapping('inputs: 3'), { code: 'INVALID_CONFIG' });
  });

  test('rows encode from scalar columns or a JSON array column, and a misfit gives a reason naming the column', () => {
    const scalar = planInputs(FEATURES, ['a', 'b', 'c'], parseMapping('inputs: {features: [a, b, c]}'));
    const batch = allocateBatch(scalar, 2);
    assert.equal(encodeRow(scalar, ['1', '2.5', '-3'], batch, 0), undefined);
    assert.equal(encodeRow(scalar, ['1', 'x', '3'], batch, 1), 'column "b" is not a finite number (input "features", FP32)');
    assert.equal(encodeRow(scalar, ['1', '', '3'], batch, 1), 'column "b" is empty');
    const t = toTensors(scalar, batch, 1, 2);
    assert.deepEqual(t[0]!.shape, [1, 3]);
    assert.deepEqual(Array.from(t[0]!.data as Float32Array), [1, 2.5, -3]);
    const json = planInputs(FEATURES, ['features'], undefined);
    const b2 = allocateBatch(json, 1);
    assert.equal(encodeRow(json, ['[1,2,3]'], b2, 0), undefined);
    assert.equal(encodeRow(json, [[[1], [2], [3]]], b2, 0), undefined);
    assert.equal(encodeRow(json, ['[1,2]'], b2, 0), 'column "features" holds 2 values; input "features" takes 3 per row');
    assert.equal(encodeRow(json, ['[1,2'], b2, 0), 'column "features" is not a JSON array');
  });

  test('integers must fit their datatype: INT8 takes 127 and rejects 128', () => {
    const sig = { inputs: [{ name: 'n', datatype: 'INT8' as const, shape: [-1] }], outputs: [] };
    const plans = planInputs(sig, ['n']);
    const b = allocateBatch(plans, 1);
    assert.equal(encodeRow(plans, ['127'], b, 0), undefined);
    assert.equal(encodeRow(plans, ['128'], b, 0), 'column "n" does not fit INT8 (input "n", INT8)');
    assert.equal(encodeRow(plans, ['1.5'], b, 0), 'column "n" is not an integer (input "n", INT8)');
  });

  test('outputs split back into one value per row; INT64 becomes numbers', () => {
    const rows = splitOutputs([
      { name: 'p', datatype: 'FP32', shape: [2, 2], data: Float32Array.from([0.5, 0.25, 1, 0]) },
      { name: 'c', datatype: 'INT64', shape: [2], data: BigInt64Array.from([3n, 4n]) },
    ], ['a', 'b']);
    assert.deepEqual(rows, [{ key: 'a', value: { p: [0.5, 0.25], c: [3] } }, { key: 'b', value: { p: [1, 0], c: [4] } }]);
  });
});

describe('flags and progress', () => {
  test('--default parses numbers, lists and text, and rejects a repeated output', () => {
    assert.deepEqual(parseDefaultValue(['probability=0.01', 'scores=[0.1,0.9]', 'label=none']), { probability: [0.01], scores: [0.1, 0.9], label: ['none'] });
    assert.throws(() => parseDefaultValue(['p=1', 'p=2']), { code: 'INVALID_CONFIG' });
    assert.throws(() => parseDefaultValue(['=1']), { code: 'INVALID_CONFIG' });
  });

  test('--model takes NAME or NAME:VERSION; run ids sort by time', () => {
    assert.deepEqual(parseModelRef('purchase:2'), { model: 'purchase', version: '2' });
    assert.deepEqual(parseModelRef('purchase'), { model: 'purchase', version: undefined });
    assert.throws(() => parseModelRef('../x'), { code: 'INVALID_CONFIG' });
    assert.match(newRunId(Date.UTC(2025, 0, 2, 3, 4, 5)), /^20250102T030405Z-[0-9a-f]{6}$/);
  });

  test('without a terminal, progress is one JSON line per interval with rows/s and ETA', () => {
    const clock = new ManualClock();
    const lines: string[] = [];
    const p = logProgress((l) => lines.push(l), clock, 1000);
    clock.advance(999);
    p.update({ rows: 10, done: 10, total: 100 });
    assert.equal(lines.length, 0);
    clock.advance(1);
    p.update({ rows: 250, done: 25, total: 100 });
    assert.deepEqual(JSON.parse(lines[0]!), { event: 'batch_progress', rows: 250, rowsPerSecond: 250, etaS: 3, percent: 25 });
    assert.equal(figures({ rows: 0, done: 0, total: 100 }, 0).etaS, undefined);
  });
});
